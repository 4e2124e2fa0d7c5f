"""Adapters to the outside world (chain RPC, model APIs, web servers) behind handler ports."""
