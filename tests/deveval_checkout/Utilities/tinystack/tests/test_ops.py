import unittest

from tinystack.ops import Stack, clamp


def test_clamp_basic():
    assert clamp(5, 0, 3) == 3
    assert clamp(-1, 0, 3) == 0


class StackTestCase(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()

    def test_peek_or_default(self):
        self.assertEqual(self.stack.peek_or(7), 7)
        self.stack.push(1)
        self.assertEqual(self.stack.peek_or(7), 1)
