"""The course: the article's four lessons in its order, then how a network learns, then modern CNNs; each a
recap, maybe a hands-on task, then questions.

Questions grow harder within a lesson: for each difficulty, a few authored
ones from the bank and a few computed by the engine. Taking a lesson again
gives new numbers (the attempt number is part of the seeds).

An instructor's questions join the built-in course (after their lesson's own,
or in a last lesson of their own), or an instructor's course (course_file.py)
replaces it: use_course() chooses, and lesson_ids(), lesson() and steps() follow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from .questions import LANGUAGES, QUIZ_CONTENT, load_bank, load_lessons

# Which computed questions belong to which lesson, in the order they are asked.
LESSON_GENERATORS = {
    "building-blocks": ["neuron_output", "linear_params", "hidden_layers"],
    "structure": ["feature_map_shape", "conv_params", "pool_value", "gap_head"],
    "numbers": ["conv_output_size", "pool_output_size", "same_padding", "conv_macs", "receptive_field",
                "network_params", "most_params_layer", "valid_config"],
    "comparisons": ["fc_equivalent", "gap_head", "most_params_layer"],
    "learning": ["multi_channel_value", "logit_gradient", "pool_output_size"],
    # A first attempt asks the middle four (see question_ids); a retake moves on to depthwise and concat.
    "modern": ["concat_channels", "batchnorm_counts", "grouped_conv_params", "separable_saving", "residual_shortcut",
               "depthwise_cost"],
}
BANK_PER_LEVEL = 2
COMPUTED_PER_LEVEL = 2


@dataclass(frozen=True)
class Step:
    kind: str  # "recap", "task" or "question"
    ref: str = ""  # the task id or question id


# -- which course: the built-in one, or an instructor's (course_file.Course) ----------------

_active = None  # the instructor's Course in use, or None for the built-in course
# Questions installed for a course's own banks, by id: never in the built-in course. Compared by identity, so
# that another question installed later under the same id (after questions.clear_installed) is not hidden.
_course_bank_items: dict[str, dict] = {}
INSTRUCTOR_LESSON = "instructor"  # the built-in course's last lesson, of instructor questions with no lesson


def use_course(course) -> None:
    """Make ``course`` (a course_file.Course) the one the quiz follows; None for the built-in course. Its
    banks' questions are installed, so review can ask them again whichever course is open."""
    global _active
    if course is not None:
        from .questions import install_bank

        known = load_bank()  # once: it is rebuilt at each call
        new = {item_id: item for item_id, item in course.bank_items.items() if item_id not in known}
        if new:
            install_bank(new)
            _course_bank_items.update(new)
    _active = course


def active_course():
    return _active


def lesson_key(course, lesson_id: str) -> str:
    """A course lesson's progress key: its course's id first, so it never meets a built-in lesson."""
    return f"{course.id}/{lesson_id}"


def lesson_ids() -> list[str]:
    """The lessons of the course in use, in order, by progress key."""
    if _active is not None:
        return [lesson_key(_active, item["id"]) for item in _active.lessons]
    return [item["id"] for item in load_lessons()] + ([INSTRUCTOR_LESSON] if loose_instructor_ids() else [])


def lesson(lesson_id: str) -> dict:
    """The lesson with progress key ``lesson_id``: id, title, recap and concepts (texts in both languages)."""
    if _active is not None:
        return next(item for item in _active.lessons if lesson_key(_active, item["id"]) == lesson_id)
    if lesson_id == INSTRUCTOR_LESSON:
        from ..content import text

        return {"id": INSTRUCTOR_LESSON, "concepts": [],
                "title": {lang: text(lang, "quiz.instructor.title") for lang in LANGUAGES},
                "recap": {lang: text(lang, "quiz.instructor.recap") for lang in LANGUAGES}}
    return next(item for item in load_lessons() if item["id"] == lesson_id)


def instructor_items() -> list[dict]:
    """The instructor's questions of the banks installed beside the built-in course (--bank, the
    folders), in load order; not those of a course's own banks."""
    from . import questions

    bank = load_bank()
    return [bank[item_id] for item_id in questions.instructor_ids()
            if _course_bank_items.get(item_id) is not bank[item_id]]


def loose_instructor_ids() -> list[str]:
    return [item["id"] for item in instructor_items() if not item.get("lesson")]


@cache
def load_tasks() -> dict[str, dict]:
    """Hands-on tasks by lesson id (see content/quiz/tasks.json)."""
    return {task["lesson"]: task for task in json.loads((QUIZ_CONTENT / "tasks.json").read_text(encoding="utf-8"))}


def tasks_by_id() -> dict[str, dict]:
    return {task["id"]: task for task in load_tasks().values()}


def question_ids(lesson_id: str, attempt: int) -> list[str]:
    """The lesson's questions, easiest first; the same ones, options in the same order, for the same attempt."""
    if _active is not None:
        return course_question_ids(lesson(lesson_id), attempt)
    if lesson_id == INSTRUCTOR_LESSON:
        return [f"bank:{item_id}@{attempt}" for item_id in loose_instructor_ids()]
    from .questions import builtin_bank

    bank = [item for item in builtin_bank().values() if item["lesson"] == lesson_id]
    generators = LESSON_GENERATORS.get(lesson_id, [])
    chosen: list[str] = []
    for level in (1, 2, 3):
        authored = sorted((item for item in bank if item["difficulty"] == level), key=lambda item: item["id"])
        if authored:
            start = attempt * BANK_PER_LEVEL % len(authored)
            rotated = authored[start:] + authored[:start]
            # The attempt shuffles the options too: a retake gets a new order, a resumed lesson the same.
            chosen += [f"bank:{item['id']}@{attempt}" for item in rotated[:BANK_PER_LEVEL]]
        for turn in range(COMPUTED_PER_LEVEL if generators else 0):
            name = generators[(attempt * COMPUTED_PER_LEVEL + turn + level) % len(generators)]
            chosen.append(f"{name}:{level}:{attempt * 100 + level * 10 + turn}")
    # The instructor's own questions for this lesson come after, all of them, every attempt.
    return chosen + [f"bank:{item['id']}@{attempt}" for item in instructor_items() if item.get("lesson") == lesson_id]


def course_question_ids(item: dict, attempt: int) -> list[str]:
    """A course lesson's questions in the instructor's order; a retake draws new numbers and option orders."""
    chosen = []
    for place, entry in enumerate(item["questions"]):
        if isinstance(entry, str):
            chosen.append(f"bank:{entry}@{attempt}")
            continue
        level = entry.get("difficulty", 1)
        # The place in the lesson is in the seed, so two draws from one generator ask different questions.
        chosen += [f"{entry['generator']}:{level}:{attempt * 1000 + place * 10 + turn}"
                   for turn in range(entry.get("count", 1))]
    return chosen


def lesson_tasks(lesson_id: str) -> list[dict]:
    """The hands-on tasks of a lesson, in order."""
    if _active is not None:
        known = tasks_by_id()
        return [known[task_id] for task_id in lesson(lesson_id)["tasks"]]
    task = load_tasks().get(lesson_id)
    return [task] if task else []


def steps(lesson_id: str, attempt: int) -> list[Step]:
    return [Step("recap"), *(Step("task", task["id"]) for task in lesson_tasks(lesson_id)),
            *(Step("question", qid) for qid in question_ids(lesson_id, attempt))]


# -- hands-on tasks, checked against what the student did in Build or View ---------------

def check_task(task: dict, state: dict) -> bool:
    """Whether ``state`` (the app's current network, and View's selection) meets the task's goal; a task
    that asks for a number (task["report"]) also needs state["reported"] to be that number."""
    if not network_done(task, state):
        return False
    return "report" not in task or state.get("reported") == reported_answer(task, state)


def network_done(task: dict, state: dict) -> bool:
    """Whether the student's work in Build, View or Train meets the task's goal, whatever number was reported
    (never, for a check this version does not know: task_problems names it)."""
    check = CHECKS.get(task.get("check"))
    return check is not None and check(task, state)


def reported_answer(task: dict, state: dict) -> int | None:
    """The number a task asks for (task["report"]), from the student's own network; None for a report this
    version does not know (task_problems names it)."""
    answer = REPORTS.get(task.get("report"))
    return None if answer is None else answer(task, state)


def task_problems(task: dict) -> list[str]:
    """What in a task of tasks.json this version cannot check: an unknown check or report."""
    problems = [] if task.get("check") in CHECKS else [f"{task.get('id')}: unknown check {task.get('check')!r}"]
    if "report" in task and task["report"] not in REPORTS:
        problems.append(f"{task.get('id')}: unknown report {task['report']!r}")
    return problems


def _params_saved(task: dict, state: dict) -> int:
    """The parameters the task's network had less the ones the student's has now (measured, so a swap
    with or without biases counts)."""
    from ..core import analyze

    return analyze(task["network"]).total_params - analyze(state["spec"]).total_params


def _only_stride_makes_size(task: dict, state: dict) -> bool:
    from ..core import analyze

    spec, start = state.get("spec") or {}, task["network"]
    layers = spec.get("layers") if isinstance(spec, dict) else None
    if not isinstance(layers, list) or len(layers) != len(start["layers"]) or spec.get("input") != start["input"]:
        return False
    index, goal = task["layer"], task["output"]
    changed, original = dict(layers[index]) if isinstance(layers[index], dict) else {}, dict(start["layers"][index])
    changed.pop("stride", None), original.pop("stride", None)
    others_same = all(a == b for i, (a, b) in enumerate(zip(layers, start["layers"])) if i != index)
    summary = analyze(spec)
    return (changed == original and others_same and summary.ok
            and list(summary[index].output_shape) == goal)


def _kernel_in_view(task: dict, state: dict) -> bool:
    view = state.get("view") or {}
    placed = [list(k) for k in view.get("kernels", [])]
    return (view.get("network") == task["preset"] and [task["layer"], task["channel"], task["kernel"]] in placed
            and view.get("channel") == task["channel"] and view.get("layer") in (task["layer"], task["layer"] + 1)
            and view.get("panel") in ("map", "step"))


def _relu_then_sigmoid(task: dict, state: dict) -> bool:
    """Train has finished, this session, a run as long as the task sets up (task["train"]["epochs"]) of a
    network with ReLUs, and one as long of the same network on the same data with every ReLU a sigmoid
    (state["runs"]: Train's records, train_compare.run_record)."""
    def compared(run: dict) -> tuple:
        spec = run["spec"]
        return spec.get("input"), spec.get("layers"), run["dataset"], run["size"]

    runs = [compared(run) for run in state.get("runs") or [] if run["epochs_done"] >= task["train"]["epochs"]]
    as_sigmoid = [(shape, [{**layer, "type": "sigmoid"} if layer["type"] == "relu" else layer for layer in layers],
                   *data) for shape, layers, *data in runs if any(layer["type"] == "relu" for layer in layers)]
    return any(run in runs for run in as_sigmoid)


def _separable_swap(task: dict, state: dict) -> bool:
    """The task's layer (a plain kxk conv) is now a depthwise-separable pair (core/separable.py): a depthwise
    kxk conv, one filter per channel, with its stride, then a 1x1 conv to the old output channels; every
    other layer is as it was, and the network is valid, its shapes after the pair unchanged."""
    from ..core import analyze
    from ..core.separable import separable_pairs

    spec, start = state.get("spec") or {}, task["network"]
    layers = spec.get("layers") if isinstance(spec, dict) else None
    index, plain = task["layer"], start["layers"][task["layer"]]
    if not isinstance(layers, list) or len(layers) != len(start["layers"]) + 1 or spec.get("input") != start["input"]:
        return False
    if layers[:index] != start["layers"][:index] or layers[index + 2:] != start["layers"][index + 1:]:
        return False
    before, after = analyze(start), analyze(spec)
    if not after.ok:
        return False
    depthwise, pointwise = after.layers[index], after.layers[index + 1]
    pairs = {(first.index, second.index) for first, second in separable_pairs(after)}
    # Padding is left to the shapes: any padding that keeps the old output shape ("same" too) will do.
    return ((index, index + 1) in pairs
            and depthwise.output_shape[0] == depthwise.input_shape[0]  # a multiplier of 1: one filter per channel
            and all(_square(depthwise.spec.get(key, 1)) == _square(plain.get(key, 1))
                    for key in ("kernel_size", "stride"))
            and pointwise.output_shape == before.layers[index].output_shape)


def _square(value):
    """A size as one number when both sides agree (3 and [3, 3] are the same kernel), else as it is."""
    if isinstance(value, list) and len(value) == 2 and value[0] == value[1]:
        return value[0]
    return value


CHECKS = {"only_stride_makes_size": _only_stride_makes_size, "kernel_in_view": _kernel_in_view,
          "relu_then_sigmoid": _relu_then_sigmoid, "separable_swap": _separable_swap}
REPORTS = {"params_saved": _params_saved}
