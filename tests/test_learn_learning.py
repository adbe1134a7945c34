"""The Learn pages on how a network learns: initialisation, optimisers, data splits and early stopping.

Their numbers come from small experiments run when a page is shown (cnntui/learn/experiments.py);
here each is worked out again independently, with NumPy by hand, and the pages' claims about
the engine, PyTorch and Train mode are checked against the code they describe.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from cnntui.content import LANGUAGES, catalog
from cnntui.core import Network
from cnntui.core.assets import find_network, read_json
from cnntui.learn.examples import build_namespace
from cnntui.learn.experiments import deep_stack_spec
from cnntui.learn.pages import load_pages
from cnntui.learn.render import Renderer, problems
from cnntui.quiz.questions import load_bank
from cnntui.render.text import cell_width
from cnntui.train.optim import Adam
from cnntui.tui.screens.train_run import Plan
from test_app import make_app, until
from test_learn import PLACEHOLDER, wait_for_page

PAGES = ["initialization", "optimizer", "data-splits"]


def namespace(page_id: str) -> dict:
    return build_namespace(load_pages()[page_id].example["setup"])


def rendered(page_id: str, language: str = "en") -> str:
    return Renderer(load_pages()[page_id], language).markdown()


def relu_stack_rms(x: np.ndarray, weights: list[np.ndarray]) -> list[float]:
    """The RMS of the input and of every linear+ReLU layer's output, by hand (biases 0)."""
    values, rms = x.astype(np.float64), [float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))]
    for weight in weights:
        values = np.maximum(values @ weight.T.astype(np.float64), 0)
        rms.append(float(np.sqrt(np.mean(values ** 2))))
    return rms


# -- every page -----------------------------------------------------------------------------------

def test_the_pages_have_no_problems():
    assert [problem for problem in problems() if problem.split(":")[0] in PAGES] == []


@pytest.mark.parametrize("page_id", PAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_page_renders_with_computed_numbers_and_no_placeholder_left(page_id, language):
    page = load_pages()[page_id]
    assert page.kind == "concept" and page.explanation and page.formula and page.related
    assert page.try_it == {"mode": "train", "preset": "lenet5"}
    assert any(PLACEHOLDER.search(str(block)) for block in page.example["blocks"])
    markdown = rendered(page_id, language)
    assert not PLACEHOLDER.search(markdown.replace("{{", "")), "a placeholder was not filled"
    assert "[[" not in markdown and "]]" not in markdown
    if language == "zh":
        body = markdown.split("\n", 3)[3]  # the English title comes second, in italics
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in body) > 300


@pytest.mark.parametrize("page_id", PAGES)
def test_formulas_fit_the_learn_pane_at_80_columns(page_id):
    """Code blocks do not wrap in the Learn pane, which is about 55 cells wide at 80x24."""
    for language in LANGUAGES:
        for block in re.findall(r"```text\n(.*?)```", rendered(page_id, language), re.S):
            assert max(cell_width(line) for line in block.splitlines()) <= 52, block


def test_the_learning_lesson_teaches_the_pages_and_the_quiz_names_their_topics():
    lesson = next(lesson for lesson in read_json_lessons() if lesson["id"] == "learning")
    assert set(PAGES) <= set(lesson["concepts"])
    assert {"initialization", "optimizer", "data-splits"} <= set(lesson["topics"])
    for language in LANGUAGES:
        for topic in ("initialization", "optimizer", "data-splits"):
            assert catalog(language).get(f"quiz.topic.{topic}"), (language, topic)


def read_json_lessons() -> list[dict]:
    import json

    from cnntui.content import CONTENT_DIR

    return json.loads((CONTENT_DIR / "quiz" / "lessons.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("page_id", PAGES)
def test_each_page_has_at_least_two_quiz_questions_of_the_learning_lesson(page_id):
    questions = [item for item in load_bank().values() if item["concept"] == page_id]
    assert len(questions) >= 2
    assert all(item["lesson"] == "learning" and item["topic"] == page_id for item in questions)


# -- initialisation -------------------------------------------------------------------------------

def test_a_deep_relu_stack_holds_under_he_and_vanishes_or_explodes_off_it():
    """Independent of the engine: weights drawn here, 20 layers of 256 by hand."""
    width, layers = 256, 20
    rng = np.random.default_rng(7)
    x = rng.standard_normal((256, width))
    he = [rng.standard_normal((width, width)) * math.sqrt(2 / width) for _ in range(layers)]
    rms = {factor: relu_stack_rms(x, [w * factor for w in he]) for factor in (0.5, 1, 2)}
    assert 0.5 < rms[1][-1] / rms[1][0] < 2  # He: within a factor of 2 of the input's after 20 layers
    assert rms[0.5][-1] / rms[0.5][0] == pytest.approx(0.5 ** layers, rel=1)
    assert rms[2][-1] / rms[2][0] == pytest.approx(2.0 ** layers, rel=1)
    facts = namespace("initialization")["depth"]
    assert facts.width == width and facts.layers == layers
    assert 0.5 < facts.he.rms[layers] / facts.he.rms[0] < 2
    assert facts.small.rms[layers] / facts.small.rms[0] == pytest.approx(0.5 ** layers, rel=1)
    assert facts.large.rms[layers] / facts.large.rms[0] == pytest.approx(2.0 ** layers, rel=1)
    # Xavier with fan_in = fan_out has half He's variance: each layer keeps 1/sqrt(2) of the RMS.
    per_layer = (facts.xavier.rms[layers] / facts.xavier.rms[0]) ** (1 / layers)
    assert per_layer == pytest.approx(1 / math.sqrt(2), abs=0.05)


def test_the_page_numbers_are_the_engines_weights_through_a_stack_worked_by_hand():
    facts = namespace("initialization")["depth"]
    net = Network.from_dict(deep_stack_spec(facts.width, facts.layers))
    x = np.random.default_rng([0, 1]).standard_normal((facts.samples, facts.width), dtype=np.float32)
    for name, scheme, factor in (("small", "he", 0.5), ("xavier", "xavier", 1), ("he", "he", 1), ("large", "he", 2)):
        weights = net.initial_weights(0, scheme)
        matrices = [weights[f"{1 + 2 * i}.weight"] * factor for i in range(facts.layers)]
        expected = relu_stack_rms(x, matrices)
        assert [getattr(facts, name).rms[k] for k in range(facts.layers + 1)] == pytest.approx(expected, rel=1e-3)
        assert getattr(facts, name).std == pytest.approx(np.concatenate([m.ravel() for m in matrices]).std(), rel=1e-6)
    assert facts.he.std == pytest.approx(math.sqrt(2 / facts.width), rel=0.01)
    assert facts.xavier.std == pytest.approx(math.sqrt(2 / (2 * facts.width)), rel=0.01)
    page = rendered("initialization")
    assert f"| He | {facts.he.std:.4f} | {facts.he.rms[1]:.2f} |" in page
    assert f"up to {facts.large.rms[facts.layers]:,.0f}" in page


def test_the_pytorch_default_the_page_states_has_the_variance_it_gives():
    """kaiming_uniform_ with a = sqrt(5): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in)."""
    fan_in = 256
    gain = math.sqrt(2 / (1 + 5))
    assert gain * math.sqrt(3 / fan_in) == pytest.approx(1 / math.sqrt(fan_in))
    draws = np.random.default_rng(0).uniform(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), 1_000_000)
    assert draws.std() == pytest.approx(namespace("initialization")["depth"].torch_std, rel=0.01)


def test_the_engine_uses_he_for_relu_networks_and_xavier_otherwise_as_the_page_says():
    lenet = Network.from_dict(read_json(find_network("lenet5")))
    assert lenet.init_weights(0) == "he"
    assert lenet.weights["0.bias"].max() == 0 == lenet.weights["0.bias"].min()
    tanh = Network.from_dict({"input": [1, 1, 8], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 4},
                                                              {"type": "tanh"}]})
    assert tanh.init_weights(0) == "xavier"
    assert np.abs(tanh.weights["1.weight"]).max() <= math.sqrt(6 / (8 + 4))


# -- optimisers -----------------------------------------------------------------------------------

def by_hand(setup: dict, scale: float = 1.0) -> dict[str, list]:
    """SGD, SGD with momentum and Adam (torch.optim's rules, in float64) on scale * (w - target)^2."""
    lr, target, steps = setup["lr"], setup["target"], setup["steps"]

    def gradient(w: float) -> float:
        return 2 * scale * (w - target)

    sgd, heavy, adam = [setup["start"]], [setup["start"]], [setup["start"]]
    buf, m, v, m_hats, v_hats = None, 0.0, 0.0, [0.0], [0.0]
    for t in range(1, steps + 1):
        sgd.append(sgd[-1] - lr * gradient(sgd[-1]))
        g = gradient(heavy[-1])
        buf = g if buf is None else setup["momentum"] * buf + g
        heavy.append(heavy[-1] - lr * buf)
        g = gradient(adam[-1])
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        m_hat, v_hat = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)
        m_hats.append(m_hat)
        v_hats.append(v_hat)
        adam.append(adam[-1] - lr * m_hat / (math.sqrt(v_hat) + 1e-8))
    return {"sgd": sgd, "heavy": heavy, "adam": adam, "m_hat": m_hats, "v_hat": v_hats}


def test_two_adam_steps_by_hand_match_the_page():
    setup = load_pages()["optimizer"].example["setup"]["opt"]
    facts = namespace("optimizer")["opt"]
    g1 = 2 * (setup["start"] - setup["target"])
    m1, v1 = 0.1 * g1, 0.001 * g1 ** 2
    w1 = setup["start"] - setup["lr"] * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + 1e-8)
    g2 = 2 * (w1 - setup["target"])
    m2, v2 = 0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2 ** 2
    m2_hat, v2_hat = m2 / (1 - 0.9 ** 2), v2 / (1 - 0.999 ** 2)
    w2 = w1 - setup["lr"] * m2_hat / (math.sqrt(v2_hat) + 1e-8)
    assert [facts.adam.w[1], facts.adam.w[2]] == pytest.approx([w1, w2], rel=1e-5)
    moments = [facts.adam.m[1], facts.adam.v[1], facts.adam.m[2], facts.adam.v[2]]
    assert moments == pytest.approx([m1, v1, m2, v2], rel=1e-5)
    assert [facts.adam.m_hat[2], facts.adam.v_hat[2]] == pytest.approx([m2_hat, v2_hat], rel=1e-5)
    assert abs(w1 - setup["start"]) == pytest.approx(setup["lr"])  # Adam's first step is lr
    page = rendered("optimizer")
    assert f"= {w1:.4f}" in page and f"w = {w2:.4f}" in page and f"m_hat = {m2_hat:.4f}" in page


def test_sgd_momentum_and_the_scaled_loss_match_the_page():
    setup = load_pages()["optimizer"].example["setup"]["opt"]
    facts = namespace("optimizer")["opt"]
    plain, scaled = by_hand(setup), by_hand(setup, setup["scale"])
    for name in ("sgd", "heavy", "adam"):
        assert list(getattr(facts, name).w.array) == pytest.approx(plain[name], rel=1e-5)
    assert list(facts.big.sgd.w.array) == pytest.approx(scaled["sgd"], rel=1e-5)
    assert list(facts.big.adam.w.array) == pytest.approx(scaled["adam"], rel=1e-5)
    # What the text says of them: momentum passes the minimum at step 4 and is still going at 5;
    # SGD on the scaled loss overshoots, Adam's steps are the same on both.
    assert plain["heavy"][3] < setup["target"] < plain["heavy"][4] < plain["heavy"][5]
    assert abs(scaled["sgd"][1] - setup["target"]) > setup["target"]
    assert scaled["adam"][setup["steps"]] == pytest.approx(plain["adam"][setup["steps"]], abs=1e-4)
    rows = re.findall(r"^\| (\d) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", rendered("optimizer"), re.M)
    shown = [float(cell) for row in rows for cell in row[1:]]
    expected = [value for row in zip(plain["sgd"][1:], plain["heavy"][1:], plain["adam"][1:]) for value in row]
    assert len(rows) == setup["steps"] and shown == pytest.approx(expected, abs=6e-4)


def test_the_optimiser_facts_the_page_states_about_cnntui():
    adam = Adam(0.001)
    assert adam.betas == (0.9, 0.999) and adam.eps == 1e-8
    assert Plan("lenet5", "lenet5", {}).lr == 0.002 and Plan("lenet5", "lenet5", {}).batch == 32
    from cnntui.cli import build_parser

    assert build_parser().parse_args(["train", "lenet5", "--dataset", "digits", "--out", "x.npz"]).lr == 0.001
    page = load_pages()["optimizer"]
    text = " ".join(block["text"]["en"] for block in page.explanation)
    assert "learning rate of 0.002" in text and "batches of 32" in text and "Adam at 0.001" in text


# -- data splits and early stopping ---------------------------------------------------------------

def cross_entropy(probabilities_or_logits: np.ndarray, labels: np.ndarray, is_softmax: bool) -> float:
    values = probabilities_or_logits.astype(np.float64)
    if not is_softmax:
        values = np.exp(values - values.max(axis=1, keepdims=True))
        values /= values.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(values[np.arange(len(labels)), labels])))


def test_early_stopping_keeps_the_epoch_of_lowest_validation_loss_worked_out_again():
    """The run again, with Train's loop, but every validation loss and the early-stopping epoch computed here."""
    from cnntui.train.datasets import make_dataset
    from cnntui.train.loop import Settings, Trainer

    setup = load_pages()["data-splits"].example["setup"]["training"]
    facts = namespace("data-splits")["training"]
    data = make_dataset(setup["dataset"], setup["train"] + setup["validation"] + setup["test"], setup["seed"],
                        setup["size"])
    cut_test, cut_val = len(data) - setup["test"], len(data) - setup["test"] - setup["validation"]
    train_x, train_y = data.x[:cut_val], data.y[:cut_val]
    val_x, val_y = data.x[cut_val:cut_test], data.y[cut_val:cut_test]
    test_x, test_y = data.x[cut_test:], data.y[cut_test:]
    assert (len(train_y), len(val_y), len(test_y)) == (facts.train, facts.validation, facts.test)

    net = Network.from_dict(setup["net"])
    net.init_weights(setup["seed"])
    train_set, val_set = data.split(setup["test"])[0].split(setup["validation"])
    assert np.array_equal(train_set.x, train_x) and np.array_equal(val_set.y, val_y)
    trainer = Trainer(net, train_set, val_set, Settings(setup["epochs"], setup["batch"], "adam", setup["lr"],
                                                        seed=setup["seed"]))
    val_losses, snapshots = [], []
    while not trainer.done:
        trainer.epoch()
        val_losses.append(cross_entropy(net.forward(val_x)[-1], val_y, is_softmax=False))
        snapshots.append({key: value.copy() for key, value in net.weights.items()})
    best = int(np.argmin(val_losses))
    assert [e.val_loss for e in facts.epochs] == pytest.approx(val_losses, rel=1e-4)
    assert facts.best.epoch == best + 1 and facts.best.mark == "*"
    assert [e.mark for e in facts.epochs].count("*") == 1
    net.set_weights(snapshots[best])
    assert facts.test_best_loss == pytest.approx(cross_entropy(net.forward(test_x)[-1], test_y, False), rel=1e-4)
    net.set_weights(snapshots[-1])
    test_last = net.forward(test_x)[-1]
    assert facts.test_last_loss == pytest.approx(cross_entropy(test_last, test_y, False), rel=1e-4)
    assert facts.test_last_accuracy == pytest.approx(float((test_last.argmax(axis=1) == test_y).mean()))


def test_what_the_data_splits_page_says_of_its_run_holds():
    facts = namespace("data-splits")["training"]
    train_losses = [e.train_loss for e in facts.epochs]
    assert train_losses == sorted(train_losses, reverse=True), "the training loss falls all the way"
    assert 1 < facts.best.epoch < facts.last.epoch and facts.last.val_loss > facts.best.val_loss
    assert facts.test_best_loss < facts.test_last_loss
    assert abs(facts.test_best_accuracy - facts.test_last_accuracy) <= 2 / facts.test, "the accuracies hardly differ"
    page = rendered("data-splits")
    assert f"| {facts.best.epoch}* | {facts.best.train_loss:.3f} | {facts.best.val_loss:.3f} |" in page
    assert f"keeps the weights of epoch {facts.best.epoch}." in page


def test_what_the_data_splits_page_says_of_train_mode_holds():
    """One validation sample per four training samples, 50 to 500, from one seeded draw (seed 0)."""
    plan = Plan("lenet5", "lenet5", {})
    assert plan.seed == 0
    assert [Plan("x", "x", {}, samples=n).validation for n in (100, 1000, 2000, 20000)] == [50, 250, 500, 500]
    text = load_pages()["data-splits"].explanation[3]["text"]["en"]
    assert "one validation sample per four training samples, at least 50 and at most 500" in text
    assert "(seed 0)" in text


def test_the_run_is_computed_once_per_session():
    setup = load_pages()["data-splits"].example["setup"]
    assert build_namespace(setup)["training"] is build_namespace(setup)["training"]


# -- in the app ----------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
async def test_learn_shows_the_data_splits_page_with_its_training_curve(tmp_path, language):
    from textual.widgets import Markdown

    facts = namespace("data-splits")["training"]
    app = make_app(tmp_path, language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_concept("data-splits")
        screen = await wait_for_page(pilot, app, "data-splits", language)
        # Markdown.update parses in the background: wait for the new page's text
        await until(pilot, lambda: f"| {facts.best.epoch}* |" in str(screen.query_one(Markdown).source),
                    "the epoch early stopping keeps, marked in the table")
        assert f"{facts.test_best_loss:.3f}" in str(screen.query_one(Markdown).source)
