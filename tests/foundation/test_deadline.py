"""The one deadline helper: a result, an error, a timeout, and nested deadlines sharing a
thread when the outer one ends first. Thread names, not clocks, show which ran where."""

from __future__ import annotations

import threading

import pytest

from duoctl.deadline import call_with_deadline


class Late(Exception):
    pass


def _thread() -> str:
    return threading.current_thread().name


def test_the_result_and_the_error_of_the_call_reach_the_caller() -> None:
    assert call_with_deadline(lambda: 42, 5, Late) == 42
    with pytest.raises(ZeroDivisionError):
        call_with_deadline(lambda: 1 // 0, 5, Late)


def test_a_call_that_never_returns_gives_the_timeout_error() -> None:
    never = threading.Event()
    with pytest.raises(Late):
        call_with_deadline(never.wait, 0.05, Late, name="hangs")
    never.set()  # let the abandoned thread end


def test_a_longer_inner_deadline_runs_in_the_outer_thread() -> None:
    def inner() -> str:
        return call_with_deadline(_thread, 60, Late, name="inner")

    assert call_with_deadline(inner, 30, Late, name="outer") == "outer"


def test_a_shorter_inner_deadline_gets_its_own_thread_and_its_own_error() -> None:
    def inner_thread() -> str:
        return call_with_deadline(_thread, 1, Late, name="inner")

    assert call_with_deadline(inner_thread, 30, TimeoutError, name="outer") == "inner"

    never = threading.Event()

    def inner_hangs() -> bool:
        return call_with_deadline(never.wait, 0.05, Late, name="inner")

    with pytest.raises(Late):  # the inner deadline's error, not the outer's
        call_with_deadline(inner_hangs, 30, TimeoutError, name="outer")
    never.set()
