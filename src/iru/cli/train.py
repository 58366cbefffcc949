"""``iru train``: fit the account classifier on analysts' labels and review decisions."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from iru.cli.common import IruError, workspace_command
from iru.detect.classifier import AccountModel, TrainingError
from iru.detect.features import AccountFeaturizer
from iru.domain.jsonsafe import dumps
from iru.workspace import Workspace


@click.command()
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the folds.")
@click.option(
    "--embeddings/--no-embeddings",
    default=None,
    help="Add sentence embeddings to the features (default: the train_embeddings setting).",
)
@workspace_command
def train(seed: int, embeddings: bool | None, ws: Workspace) -> None:
    """Train a new version of the account classifier; `iru detect` then uses it."""
    use_embeddings = ws.settings["train_embeddings"] if embeddings is None else embeddings
    with ws.write_lock("train"):
        current = ws.current_labels()
        # Two classes: supporter or not; counter_speech is a kind of not_supporter.
        labels = {key: 1 if label == "supporter" else 0 for key, label in current.items()}
        if not labels:
            raise IruError("no labels: import some with `iru label import FILE.csv` first")
        reader = ws.account_reader()
        keys = reader.keys()
        if not keys:
            raise IruError("no accounts stored: ingest data first")
        graph = reader.graph(keys)
        docs = [doc for chunk in reader.documents(keys) for doc in chunk]
        store = ws.models()
        model = AccountModel(
            store.next_version(), AccountFeaturizer(embeddings=use_embeddings), seed=seed
        )
        try:
            card = model.train(docs, graph, labels, threshold=ws.settings["referral_threshold"])
        except TrainingError as exc:
            raise IruError(str(exc)) from exc
        card["unmatched_labels"] = len(set(labels) - set(keys))
        stored = set(keys)
        card["counter_speech"] = sum(
            1 for key, label in current.items() if label == "counter_speech" and key in stored
        )
        row = store.save(model, card)
    table = Table(title=f"model {row.version}")
    table.add_column("figure")
    table.add_column("local", justify="right")
    table.add_column("with network", justify="right")
    cv = card["cross_validation"]
    for name in cv["local"]:
        table.add_row(name, f"{cv['local'][name]:.3f}", f"{cv['with_network'][name]:.3f}")
    console = Console()
    of_which = (
        f" of which {card['counter_speech']:,} counter_speech" if card["counter_speech"] else ""
    )
    console.print(
        f"trained on {card['labelled']:,} labelled accounts "
        f"({card['supporter']:,} supporter, {card['not_supporter']:,} not_supporter{of_which}) "
        f"of {card['accounts']:,}; {card['graph_edges']:,} graph edges; "
        f"{card['unmatched_labels']:,} labels name accounts not stored"
    )
    console.print(table)
    console.print(f"saved {row.path} (sha256 {row.sha256[:12]}…); run `iru detect` to apply it")
    if ws.settings["log_level"] == "DEBUG":
        console.print_json(dumps(card))
