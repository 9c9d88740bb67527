"""Call texts parsed on many threads at once, as 64 served sessions parse them, each parse
intact: CPython 3.11's parser shares its recursion depth between threads, and a collection
that runs a finalizer in the middle of one parse let another in."""

from __future__ import annotations

import gc
import threading
import time

from agentloop.calls import SkillCall

TEXT = 'type(element="5", text="' + "x" * 20 + '", extra=' + "[" * 20 + "1" + "]" * 20 + ', more={"a": [1, {"b": (2, 3)}]})'


class _Garbage:
    """A cycle whose finalizer lets another thread run, as a closed browser's objects do."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        time.sleep(0)


def test_call_texts_parsed_on_many_threads_at_once_all_parse():
    errors: list[BaseException] = []

    def parse_many() -> None:
        for _ in range(1500):
            try:
                SkillCall.parse(TEXT)
            except SystemError as e:
                errors.append(e)
            _Garbage()

    threshold = gc.get_threshold()
    gc.set_threshold(5)  # a collection every few parses, in the middle of some
    try:
        threads = [threading.Thread(target=parse_many) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
    assert not errors, f"{len(errors)} of 12000 parses failed: {errors[0]}"
    assert SkillCall.parse(TEXT).args["extra"] == [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]
