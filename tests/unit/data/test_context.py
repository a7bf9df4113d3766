import numpy as np

from xrayseg.data.context import context_indices, context_stack


def test_interior_slice_sees_its_neighbours():
    assert context_indices(5, 2, range(10)) == [3, 4, 5, 6, 7]


def test_neighbours_never_leave_the_block():
    block = [4, 5, 6]
    assert context_indices(4, 2, block) == [4, 4, 4, 5, 6]
    assert context_indices(6, 1, block) == [5, 6, 6]


def test_no_context_is_the_slice_itself():
    volume = np.arange(5 * 2 * 2).reshape(5, 2, 2)
    stack = context_stack(volume, 2, 0, range(5))
    assert stack.shape == (1, 2, 2) and np.array_equal(stack[0], volume[2])
