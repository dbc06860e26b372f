"""Compile the interface catalogs into the wheel: an installed Guichet never writes into its
own package directory (which may be read-only) to translate itself.

Everything else about the build is declared in pyproject.toml; setuptools has no declarative
hook for a step before ``build_py``, hence this file. Babel's own ``compile_catalog`` command
does the compiling.
"""

from babel.messages.setuptools_frontend import compile_catalog
from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        self.run_command("compile_catalog")
        super().run()


setup(
    cmdclass={"build_py": BuildWithCatalogs, "compile_catalog": compile_catalog},
    options={"compile_catalog": {"directory": "gateway/translations", "domain": "messages"}},
)
