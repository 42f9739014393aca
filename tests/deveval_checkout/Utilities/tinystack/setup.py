"""tinystack: a DevEval-shaped project for heedful's tests."""

import shlex

from setuptools import Command, setup


class PyTest(Command):
    """`python setup.py pytest --addopts ARGS`, as pytest-runner provides it."""

    description = "run pytest"
    user_options = [("addopts=", None, "arguments for pytest")]  # noqa: RUF012 - setuptools reads it so

    def initialize_options(self):
        self.addopts = ""

    def finalize_options(self):
        pass

    def run(self):
        import pytest

        raise SystemExit(pytest.main(shlex.split(self.addopts)))


setup(name="tinystack", version="0.1", packages=["tinystack"], cmdclass={"pytest": PyTest})
