"""The account classifier on a small made-up population, and its models in the workspace.

The population: supporters write made-up marker tokens among filler words and repost
each other; journalists quote the same markers with their framing ("Breaking:",
"report on") and quote supporters; bystanders write filler only and rarely touch a
supporter. Everything comes from one numpy seed, so every figure below is fixed.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass

import joblib
import numpy as np
import pytest

from iru.detect.classifier import AccountModel, TrainingError
from iru.detect.features import (
    CHAR_TEXT_LIMIT,
    AccountDocument,
    AccountFeaturizer,
    hosts_for_links,
)
from iru.detect.propagation import InteractionGraph, feature_names
from iru.storage.knowledge import KnowledgeStore, LabelRow
from iru.storage.models import ModelFileError, ModelStore, _sha256, current_labels
from iru.workspace import Workspace

MARKERS = ("#zorblat", "vexmura", "#kelthar", "drumvoss", "quillanet")
FRAMING = ("Breaking:", "report on", "our analysis of", "Fact check:")
FILLER = [
    "weather",
    "today",
    "market",
    "coffee",
    "football",
    "garden",
    "music",
    "friends",
    "weekend",
    "train",
    "city",
    "bread",
    "movie",
    "school",
    "river",
    "holiday",
    "family",
    "dinner",
    "phone",
    "shop",
    "street",
    "rain",
    "summer",
    "evening",
    "book",
    "game",
    "team",
    "match",
    "price",
    "news",
    "morning",
    "walk",
    "park",
    "lunch",
    "work",
    "office",
    "bus",
    "road",
    "light",
    "house",
    "garden",
    "kitchen",
    "window",
    "table",
    "chair",
    "picture",
    "song",
    "dance",
    "party",
    "village",
    "mountain",
    "beach",
    "sunset",
    "cloud",
    "winter",
    "spring",
    "autumn",
    "festival",
    "concert",
    "library",
    "museum",
    "bridge",
    "tower",
]
SUPPORTERS, JOURNALISTS, BYSTANDERS = 70, 20, 110
SEED = 7


@dataclass(slots=True)
class Population:
    docs: list[AccountDocument]
    graph: InteractionGraph
    truth: np.ndarray  # 1 supporter, 0 otherwise
    role: list[str]
    labels: dict[tuple[str, str], int]  # the ~30 % an analyst labelled

    @property
    def keys(self) -> list[tuple[str, str]]:
        return [d.key for d in self.docs]

    def labelled(self) -> np.ndarray:
        return np.array([d.key in self.labels for d in self.docs])

    def seeds(self) -> np.ndarray:
        seeds = np.full(len(self.docs), np.nan)
        for i, d in enumerate(self.docs):
            if d.key in self.labels:
                seeds[i] = self.labels[d.key]
        return seeds


def _filler(rng: np.random.Generator, n: int) -> list[str]:
    return [str(w) for w in rng.choice(FILLER, size=n)]


def _text(rng: np.random.Generator, role: str) -> str:
    words = _filler(rng, int(rng.integers(6, 11)))
    if role == "supporter":
        for marker in rng.choice(MARKERS, size=int(rng.integers(1, 3)), replace=False):
            words.insert(int(rng.integers(0, len(words) + 1)), str(marker))
    elif role == "journalist":
        marker = str(rng.choice(MARKERS))
        words = [str(rng.choice(FRAMING)), marker, *words]
    return " ".join(words)


def make_population(seed: int = SEED) -> Population:
    rng = np.random.default_rng(seed)
    roles = ["supporter"] * SUPPORTERS + ["journalist"] * JOURNALISTS + ["bystander"] * BYSTANDERS
    order = rng.permutation(len(roles))
    roles = [roles[i] for i in order]
    docs: list[AccountDocument] = []
    for i, role in enumerate(roles):
        own = [_text(rng, role) for _ in range(int(rng.integers(3, 7)))]
        if role == "journalist":
            own.append(f"read more https://www.newsdesk.example/story/{i}?ref=home")
        docs.append(
            AccountDocument(
                platform="x",
                account_id=f"acct{i:03d}",
                handle=f"handle{i:03d}",
                bio=" ".join(_filler(rng, 4)),
                own_texts=own,
                posts=len(own),
                followers=int(rng.integers(0, 5000)),
            )
        )
    supporters = [i for i, r in enumerate(roles) if r == "supporter"]
    others = [i for i, r in enumerate(roles) if r == "bystander"]
    edges: list[tuple[str, str, str, str, int]] = []

    def edge(kind: str, src: int, dst: int, count: int = 1) -> None:
        edges.append(("x", kind, docs[src].account_id, docs[dst].account_id, count))

    for i, role in enumerate(roles):
        if role == "supporter":
            for j in rng.choice(supporters, size=4, replace=False):
                if j != i:
                    edge("repost", i, int(j), int(rng.integers(1, 4)))
                    docs[i].passed_on.append(_text(rng, "supporter"))
                    docs[i].reposts += 1
                    docs[i].posts += 1
        elif role == "journalist":
            for j in rng.choice(supporters, size=2, replace=False):
                edge("quote", i, int(j))
                docs[i].quotes += 1
        else:
            for j in rng.choice(others, size=2, replace=False):
                if j != i:
                    edge("reply", i, int(j))
            if rng.random() < 0.1:
                edge("follow", i, int(rng.choice(supporters)))
    truth = np.array([1 if r == "supporter" else 0 for r in roles])
    picked = rng.random(len(roles)) < 0.3
    labels = {docs[i].key: int(truth[i]) for i in np.nonzero(picked)[0]}
    graph = InteractionGraph.build([d.key for d in docs], edges)
    return Population(docs, graph, truth, roles, labels)


@dataclass(slots=True)
class Trained:
    population: Population
    model: AccountModel
    card: dict[str, object]


@pytest.fixture(scope="module")
def population() -> Population:
    return make_population()


@pytest.fixture(scope="module")
def trained(population: Population) -> Trained:
    model = AccountModel("account-0001", AccountFeaturizer(), seed=0)
    card = model.train(population.docs, population.graph, population.labels)
    return Trained(population, model, card)


def _final(trained: Trained, model: AccountModel | None = None) -> np.ndarray:
    model = model or trained.model
    pop = trained.population
    local = model.local_scores(pop.docs)
    return model.propagate(pop.graph, local, pop.seeds()).final


# -- featurizer ------------------------------------------------------------------------------


def test_hosts_for_links_keeps_only_the_host() -> None:
    text = "see https://www.newsdesk.example/story/1?ref=x and HTTP://t.example/a#b, then more"
    assert hosts_for_links(text) == "see newsdesk.example and t.example then more"
    assert hosts_for_links("no links here") == "no links here"
    assert hosts_for_links("https://sub.outlet.example") == "sub.outlet.example"
    doc = AccountDocument(
        "x", "1", bio="bio http://www.a.example/p", own_texts=["https://b.example/q"]
    )
    assert doc.own_text() == "bio a.example\nb.example"


def test_featurizer_shape_is_words_chars_passed_and_numbers(population: Population) -> None:
    docs = copy.deepcopy(population.docs)
    docs[0].signals[("indicators", "own")] = (3, 0.9)
    docs[1].signals[("known-media", "passed")] = (1, 1.0)
    featurizer = AccountFeaturizer(char_features=2**10, passed_features=2**8)
    x = featurizer.fit(docs).transform(docs)
    words = len(featurizer.vocabulary)
    assert featurizer.signal_columns_ == [("indicators", "own"), ("known-media", "passed")]
    numbers = featurizer.number_names()
    assert len(numbers) == 6 + 3 * 2
    assert numbers[-3:] == [
        "known-media:passed:count",
        "known-media:passed:share",
        "known-media:passed:max",
    ]
    assert x.shape == (len(docs), words + 2**10 + 2**8 + len(numbers))
    assert x.dtype == np.float32
    assert featurizer.word_slice() == slice(0, words)
    vocabulary = set(featurizer.vocabulary.tolist())
    assert set(MARKERS) <= vocabulary  # hashtags keep their '#'
    assert "newsdesk.example" in vocabulary  # links reduced to hosts
    assert not any("http" in w for w in vocabulary)
    # The signal columns of account 0: min(1, count/3), count/posts, strongest score.
    row = x[0].toarray()[0]
    first_signal = words + 2**10 + 2**8 + 6
    np.testing.assert_allclose(
        row[first_signal : first_signal + 3],
        [1.0, 3 / docs[0].posts, 0.9],
        rtol=1e-6,
    )
    summary = featurizer.summary()
    assert summary["words"] == words and summary["embeddings"] is None
    assert summary["signal_columns"] == ["indicators:own", "known-media:passed"]


def test_featurizer_without_char_features_and_with_long_texts(population: Population) -> None:
    docs = population.docs
    plain = AccountFeaturizer(char_features=0, passed_features=2**8).fit(docs)
    x = plain.transform(docs)
    assert x.shape == (len(docs), len(plain.vocabulary) + 2**8 + 6)
    # Character n-grams read only the first CHAR_TEXT_LIMIT characters of the own text.
    chars = AccountFeaturizer(char_features=2**10, passed_features=2**8).fit(docs)
    words = len(chars.vocabulary)
    head = ("weather " * (CHAR_TEXT_LIMIT // 8 + 1))[:CHAR_TEXT_LIMIT]
    short = AccountDocument("x", "s", own_texts=[head])
    long = AccountDocument("x", "l", own_texts=[head + " zyxwvut qponml" * 50])
    block = slice(words, words + 2**10)
    both = chars.transform([short, long])[:, block].toarray()
    np.testing.assert_array_equal(both[0], both[1])


def test_featurizer_is_deterministic(population: Population) -> None:
    docs = population.docs
    a = AccountFeaturizer().fit(docs).transform(docs)
    b = AccountFeaturizer().fit(docs).transform(docs)
    assert a.shape == b.shape and (a != b).nnz == 0
    # Transforming again with the same fitted featurizer, and a subset, agree row by row.
    featurizer = AccountFeaturizer().fit(docs)
    whole = featurizer.transform(docs)
    part = featurizer.transform(docs[10:20])
    assert (whole[10:20] != part).nnz == 0


def test_transform_before_fit_raises(population: Population) -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        AccountFeaturizer().transform(population.docs[:3])


def test_featurizer_pickles_without_its_embedder(population: Population) -> None:
    featurizer = AccountFeaturizer().fit(population.docs)
    featurizer.embedder = lambda texts: np.zeros((len(texts), 4), dtype=np.float32)
    copy_ = pickle.loads(pickle.dumps(featurizer))
    assert copy_.embedder is None
    assert (copy_.transform(population.docs) != featurizer.transform(population.docs)).nnz == 0


# -- the model -------------------------------------------------------------------------------


def test_population_is_as_described(population: Population) -> None:
    assert len(population.docs) == SUPPORTERS + JOURNALISTS + BYSTANDERS
    labelled = population.labelled()
    assert 0.2 < labelled.mean() < 0.4
    y = np.array(list(population.labels.values()))
    assert y.sum() >= 10 and (1 - y).sum() >= 10
    assert population.graph.edges() > SUPPORTERS


def test_train_returns_a_card_with_sane_cross_validation(trained: Trained) -> None:
    card = trained.card
    pop = trained.population
    y = np.array(list(pop.labels.values()))
    assert card["labelled"] == len(pop.labels)
    assert card["supporter"] == int(y.sum())
    assert card["not_supporter"] == int(len(y) - y.sum())
    assert card["accounts"] == len(pop.docs)
    assert card["graph_edges"] == pop.graph.edges()
    assert card["seed"] == 0 and isinstance(card["scikit_learn"], str)
    assert card["features"]["words"] > 0  # type: ignore[index]
    cv = card["cross_validation"]
    assert isinstance(cv, dict)
    assert cv["folds"] == 5
    for stage in ("local", "with_network"):
        figures = cv[stage]
        assert set(figures) == {
            "roc_auc",
            "brier",
            *(
                f"{what}_at_{cut}"
                for what in ("precision", "recall", "f1")
                for cut in ("0.5", "0.8")
            ),
        }
        assert all(0.0 <= v <= 1.0 for v in figures.values()), figures
        assert figures["roc_auc"] > 0.9, (stage, figures)
        assert figures["brier"] < 0.1, (stage, figures)
        assert figures["f1_at_0.5"] > 0.8, (stage, figures)


def test_propagate_separates_the_unlabelled_accounts(trained: Trained) -> None:
    pop = trained.population
    local = trained.model.local_scores(pop.docs)
    scores = trained.model.propagate(pop.graph, local, pop.seeds())
    assert scores.local is local
    final = scores.final
    assert final.shape == (len(pop.docs),)
    assert np.all((final >= 0) & (final <= 1))
    unlabelled = ~pop.labelled()
    predicted = final[unlabelled] >= 0.5
    truth = pop.truth[unlabelled] == 1
    tp = int(np.sum(predicted & truth))
    precision = tp / max(1, int(predicted.sum()))
    recall = tp / max(1, int(truth.sum()))
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    roles = np.array(pop.role)
    assert np.median(final[unlabelled & (roles == "supporter")]) > 0.8
    assert np.median(final[unlabelled & (roles == "bystander")]) < 0.2
    # Journalists quote the markers, yet are not taken for supporters.
    journalists = unlabelled & (roles == "journalist")
    assert journalists.any() and np.mean(final[journalists] >= 0.5) <= 0.2


def test_local_scores_of_no_documents() -> None:
    model = AccountModel("v", AccountFeaturizer())
    assert model.local_scores([]).shape == (0,)


def test_words_name_a_marker_for_a_supporter(trained: Trained) -> None:
    pop = trained.population
    roles = np.array(pop.role)
    supporters = [d for d, r in zip(pop.docs, roles, strict=True) if r == "supporter"]
    bystanders = [d for d, r in zip(pop.docs, roles, strict=True) if r == "bystander"]
    found = trained.model.words([*supporters, *bystanders])
    assert len(found) == len(supporters) + len(bystanders)
    for towards, against in found:
        assert len(towards) <= 3 and len(against) <= 3
        assert not set(towards) & set(against)
    for towards, against in found[: len(supporters)]:
        assert towards and set(towards) & set(MARKERS), towards
        assert not set(against) & set(MARKERS), against
    for towards, _ in found[len(supporters) :]:
        assert not set(towards) & set(MARKERS), towards
    # The first supporter alone gets the same words as in the batch, and top=1 its strongest.
    assert trained.model.words(supporters[:1]) == found[:1]
    ((strongest, _),) = trained.model.words(supporters[:1], top=1)
    assert strongest == found[0][0][:1]
    assert trained.model.words([]) == []


def test_relation_weights_name_every_network_feature(trained: Trained) -> None:
    weights = trained.model.relation_weights()
    assert list(weights) == ["local_log_odds", *feature_names()]
    assert all(isinstance(v, float) for v in weights.values())
    # Learned from the labels: own text first, then being reposted by supporters, and
    # quoting them (what journalists do) does not count towards supporter.
    assert weights["local_log_odds"] > 0
    assert weights["repost:in:supporter_evidence"] > 0
    assert weights["quote:out:supporter_evidence"] < weights["repost:in:supporter_evidence"]
    # Kinds that never occur in this graph carry no weight.
    assert weights["forward:in:supporter_evidence"] == 0 and weights["mention:out:degree"] == 0


def test_training_is_deterministic_and_ignores_labels_of_unknown_accounts(
    population: Population, trained: Trained
) -> None:
    labels = dict(population.labels) | {("x", "ghost"): 1, ("y", "acct000"): 0}
    again = AccountModel("account-0001", AccountFeaturizer(), seed=0)
    card = again.train(population.docs, population.graph, labels)
    assert card == trained.card
    np.testing.assert_array_equal(_final(trained, again), _final(trained))


@pytest.mark.parametrize("supporters", [0, 2])
def test_train_needs_three_labels_of_each_class(population: Population, supporters: int) -> None:
    pos = [d.key for d, t in zip(population.docs, population.truth, strict=True) if t == 1]
    neg = [d.key for d, t in zip(population.docs, population.truth, strict=True) if t == 0]
    labels = dict.fromkeys(pos[:supporters], 1) | dict.fromkeys(neg[:40], 0)
    model = AccountModel("v", AccountFeaturizer())
    with pytest.raises(TrainingError, match=f"have {supporters} supporter, 40 not_supporter"):
        model.train(population.docs, population.graph, labels)
    few_negatives = dict.fromkeys(pos[:40], 1) | dict.fromkeys(neg[:2], 0)
    with pytest.raises(TrainingError, match="at least 3 labelled accounts of each class"):
        model.train(population.docs, population.graph, few_negatives)
    assert issubclass(TrainingError, ValueError)


def test_train_refuses_documents_out_of_graph_order(population: Population) -> None:
    docs = list(reversed(population.docs))
    with pytest.raises(ValueError, match="same order"):
        AccountModel("v", AccountFeaturizer()).train(docs, population.graph, population.labels)


# -- models in the workspace -----------------------------------------------------------------


def test_model_store_saves_and_loads_the_same_model(workspace: Workspace, trained: Trained) -> None:
    store = ModelStore(workspace.database, workspace.root)
    assert store.versions() == [] and store.latest() is None
    assert store.next_version() == "account-0001"
    row = store.save(trained.model, trained.card)
    assert row.version == "account-0001" and row.path == "models/account-0001.joblib"
    assert (workspace.root / row.path).is_file() and len(row.sha256) == 64
    assert sorted(p.name for p in (workspace.root / "models").iterdir()) == ["account-0001.joblib"]
    latest = store.latest()
    assert latest is not None and latest.version == "account-0001"
    assert latest.sha256 == row.sha256 and latest.card == trained.card
    assert store.next_version() == "account-0002"

    loaded = store.load(latest)
    assert isinstance(loaded, AccountModel) and loaded is not trained.model
    assert loaded.version == "account-0001" and loaded.featurizer.embedder is None
    pop = trained.population
    np.testing.assert_array_equal(
        loaded.local_scores(pop.docs), trained.model.local_scores(pop.docs)
    )
    np.testing.assert_array_equal(_final(trained, loaded), _final(trained))
    assert loaded.words(pop.docs[:5]) == trained.model.words(pop.docs[:5])

    second = copy.copy(trained.model)
    second.version = store.next_version()
    store.save(second, {"note": "second"})
    assert [r.version for r in store.versions()] == ["account-0001", "account-0002"]
    newest = store.latest()
    assert newest is not None and newest.version == "account-0002"
    assert newest.card == {"note": "second"}
    assert store.load(newest).version == "account-0002"


def test_model_store_refuses_a_changed_or_missing_file(
    workspace: Workspace, trained: Trained
) -> None:
    store = ModelStore(workspace.database, workspace.root)
    row = store.save(trained.model, trained.card)
    path = workspace.root / row.path
    with path.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelFileError, match="does not match its recorded SHA-256"):
        store.load(row)
    path.unlink()
    with pytest.raises(ModelFileError, match="is missing"):
        store.load(row)


def test_model_store_refuses_a_file_that_holds_no_model(
    workspace: Workspace, trained: Trained
) -> None:
    store = ModelStore(workspace.database, workspace.root)
    row = store.save(trained.model, trained.card)
    joblib.dump({"not": "a model"}, workspace.root / row.path)
    forged = type(row)(
        row.version, row.path, _sha256(workspace.root / row.path), row.card, row.trained_at
    )
    with pytest.raises(ModelFileError, match="holds no account model"):
        store.load(forged)


def test_current_labels_take_the_newest_label_across_sources(workspace: Workspace) -> None:
    knowledge = KnowledgeStore(workspace.database)
    assert current_labels(workspace.database) == {}
    knowledge.add_labels(
        [LabelRow("x", "1", "supporter"), LabelRow("x", "2", "supporter")], "file:a.csv"
    )
    knowledge.add_labels([LabelRow("x", "1", "not_supporter")], "review")
    assert current_labels(workspace.database) == {
        ("x", "1"): "not_supporter",
        ("x", "2"): "supporter",
    }
    # The same label read again from the review changes nothing.
    knowledge.add_labels([LabelRow("x", "1", "not_supporter")], "review")
    assert current_labels(workspace.database)[("x", "1")] == "not_supporter"
    # The file changes its mind twice: its row, updated last, is now the newest.
    assert knowledge.add_labels([LabelRow("x", "1", "not_supporter")], "file:a.csv") == (0, 1)
    assert knowledge.add_labels([LabelRow("x", "1", "supporter")], "file:a.csv") == (0, 1)
    assert current_labels(workspace.database)[("x", "1")] == "supporter"
    # And the review, changing its own row, is the newest again.
    knowledge.add_labels([LabelRow("x", "1", "supporter")], "review")
    knowledge.add_labels([LabelRow("x", "1", "not_supporter")], "review")
    assert current_labels(workspace.database)[("x", "1")] == "not_supporter"
    knowledge.add_labels([LabelRow("telegram", "1", "not_supporter")], "review")
    assert current_labels(workspace.database) == {
        ("x", "1"): "not_supporter",
        ("x", "2"): "supporter",
        ("telegram", "1"): "not_supporter",
    }
