// Builds @openzeppelin/merkle-tree's StandardMerkleTree from [[address, amount], …] on
// stdin and prints its root, dump and every proof (or, with "--root", the root and the
// time it took), so tests and the bench compare ours with the reference.
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");

const values = JSON.parse(require("fs").readFileSync(0, "utf8"));
const started = process.hrtime.bigint();
const tree = StandardMerkleTree.of(values, ["address", "uint256"]);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
if (process.argv.includes("--root")) {
  console.log(JSON.stringify({ root: tree.root, seconds }));
} else {
  const proofs = values.map((_, i) => tree.getProof(i));
  const verified = values.every((v, i) =>
    StandardMerkleTree.verify(tree.root, ["address", "uint256"], v, proofs[i]),
  );
  console.log(JSON.stringify({ root: tree.root, dump: tree.dump(), proofs, verified }));
}
