"""The one test harness: everything a test needs to run govbot the way it runs for real.

* `core` — `core_env()`: a Core built on the test database; `serve()` / `halt()` run and
  stop any adapter the way `govbot run` does.
* `telegram_env` — `telegram_env()` / `start_telegram()`: the TelegramAdapter connected
  to the fake Bot API (`telegram_fake()`), ready.
* `discord_env` — `discord_env()` / `start_discord()`: the DiscordAdapter on the fake
  gateway and REST API, ready.
* `both_env` — `both_env()`: both adapters on ONE core, one community across them.
* `process` — `bot_process()` / `start_bot()` / `run_bot()`: `govbot` as an OS process
  (exec or forked from a preloaded interpreter), its output, signals and exit code.
* `logs` — `logging_restored()`: undo a test's logging configuration.
* `waiting` — `until()`: poll a condition with a deadline, never a blind sleep.
* `fixtures` — the pytest fixtures `restore_logging`, `tg_fake`, `tg`, `dc`.
* `fakes/` — the local fakes of Telegram, Discord and an OpenAI-compatible API.
"""
