"""quadratic (snapshot.js `src/voting/quadratic.ts`): for each choice i,
``(Σ_ballots sqrt(weight × share_i / Σ shares))²``, rescaled so the results add up to
the total voting power. Many small voters therefore outweigh one large one of the same
total."""

from __future__ import annotations

from handlers.voting.methods.weighted import Weighted


class Quadratic(Weighted):
    name = "quadratic"
    help = "like weighted, but many small voters outweigh one large one"
    usage = "/vote <id> a=70, b=30"
    snapshot_type = "quadratic"
    quadratic = True


METHOD = Quadratic()
