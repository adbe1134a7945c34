"""The class report: `cnntui progress --report` over a class's exports, next to a plain json.load of
the same files, in the same run.

    python benchmarks/bench_report.py [--students 200] [--rounds 5]

Each export is realistic for a student who took the whole built-in course: 6 lessons, 25 topics and
150 questions with their counts, written as `cnntui progress --export` writes them. Timed: reading
and checking every file and printing the text report and the CSV (read_class, report_text,
report_csv, as the CLI runs them), and, as the floor, json.load of every file and nothing else. Both
wall-clock and this process's CPU time (which other programs on a busy machine do not inflate); the
best of the rounds. Issue #19's target: under 1 s for 200 students.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cnntui.quiz.course import lesson_ids
from cnntui.quiz.generate import GENERATORS
from cnntui.quiz.progress import Progress
from cnntui.quiz.questions import load_bank
from cnntui.quiz.report import export_data, read_class, report_csv, report_text, write_export

LESSONS, TOPICS, QUESTIONS = 6, 25, 150


def class_progress(rng: random.Random) -> Progress:
    """One student's progress: every lesson touched, TOPICS topics, QUESTIONS questions asked 1-3 times."""
    bank = sorted(load_bank().items())
    topics = sorted({item["topic"] for _, item in bank} | {g.topic for g in GENERATORS.values()})[:TOPICS]
    kept = [(key, item) for key, item in bank if item["topic"] in topics]
    generators = [(name, g) for name, g in sorted(GENERATORS.items()) if g.topic in topics]
    picked = ([(f"bank:{key}@0", item["topic"]) for key, item in kept] +
              [(f"{name}:1:0", g.topic) for name, g in generators])[:QUESTIONS]
    names = [f"unknown-{n}" for n in range(QUESTIONS - len(picked))]  # ids another bank could have
    picked += [(f"bank:{name}@0", topics[n % len(topics)]) for n, name in enumerate(names)]
    progress = Progress(session=rng.randrange(1, 30))
    for question_id, topic in picked:
        for _ in range(rng.randrange(1, 4)):
            progress.record(question_id, topic, rng.random() < 0.7, rng.random() < 0.1)
    for topic in topics:  # every topic tried, even one no picked question is on
        progress.topics.setdefault(topic, {"asked": 1, "score": 1.0})
    for lesson_id in lesson_ids()[:LESSONS]:
        progress.lessons[lesson_id] = {"step": rng.randrange(5), "attempt": rng.randrange(2),
                                       "done": rng.random() < 0.5}
    return progress


def make_class(folder: Path, students: int) -> None:
    rng = random.Random(19)
    start = datetime(2026, 9, 1, 10, tzinfo=timezone.utc)
    for number in range(students):
        progress = class_progress(rng)
        write_export(folder / f"student-{number:03}.json",
                     export_data(progress, f"Student {number:03}", start + timedelta(minutes=number)))


def timed(work) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        folder = Path(home)
        make_class(folder, args.students)
        files = sorted(folder.glob("*.json"))
        size = sum(path.stat().st_size for path in files)
        load_bank(), report_text(read_class([str(files[0])]), "en")  # the bank and the words, loaded once

        def plain() -> None:
            for path in files:
                with open(path, encoding="utf-8") as handle:
                    json.load(handle)

        def report() -> None:
            found = read_class([str(folder)])
            assert len(found.students) == args.students and not found.notes
            report_text(found, "en"), report_csv(found, "en")

        results = {"json.load": [], "report": []}
        for _ in range(args.rounds):
            results["json.load"].append(timed(plain))
            results["report"].append(timed(report))
    print(f"{args.students} exports, {size / len(files) / 1024:.1f} kB each on average "
          f"({LESSONS} lessons, {TOPICS} topics, {QUESTIONS} questions), best of {args.rounds}")
    best = {name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in results.items()}
    for name, (wall, cpu) in best.items():
        print(f"  {name:10} {wall * 1000:7.1f} ms wall  {cpu * 1000:7.1f} ms CPU")
    ratio = best["report"][0] / best["json.load"][0]
    verdict = "under" if best["report"][0] < 1 else "OVER"
    print(f"  report / json.load: {ratio:.1f}x; report {verdict} the 1 s target")


if __name__ == "__main__":
    main()
