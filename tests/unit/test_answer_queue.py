"""The answer queue admits one writer plus the waiting places it is given, and refuses the next at once."""

import threading

import pytest

from assistant.app.http.admission import AnswerQueue, Busy


def test_beyond_its_places_the_queue_refuses_at_once_with_a_time_to_retry() -> None:
    answers = AnswerQueue(waiting=1, one_at_a_time=True)
    first, second = answers.admit(), answers.admit()
    with pytest.raises(Busy, match="QA_ANSWER_QUEUE allows 1 to wait") as busy:
        answers.admit()
    assert busy.value.retry_after_s >= 1
    first.release()
    first.release()  # releasing twice gives back one place, not two
    third = answers.admit()
    with pytest.raises(Busy):
        answers.admit()
    second.release()
    third.release()


def test_admitted_answers_take_turns_and_one_given_up_while_waiting_passes_its_turn_on() -> None:
    answers = AnswerQueue(waiting=2, one_at_a_time=True)
    writing, waiting, later = answers.admit(), answers.admit(), answers.admit()
    writing.wait_turn()
    turns: list[str] = []

    def wait_then_note() -> None:
        waiting.wait_turn()
        turns.append("waiting")

    waiter = threading.Thread(target=wait_then_note)
    waiter.start()
    waiting.release()  # its client went away before its turn came
    writing.release()
    waiter.join(timeout=5)
    later.wait_turn()  # would block for ever had the abandoned ticket kept the turn
    turns.append("later")
    later.release()
    assert turns == ["waiting", "later"]
