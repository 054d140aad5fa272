"""The Jinja loader for ``{% include %}``, ``{% import %}`` and ``{% extends %}``: workspace files only.

Names are looked up under the template's set root, then under the workspace ``templates/`` folder. A
name with ``..`` or an absolute path is refused, and every file goes through the workspace sandbox, so
a symbolic link out of the workspace (or out of the search roots) is refused too. Included files may
have front matter of their own: it is blanked out, keeping line numbers.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, Template, TemplateNotFound

from ggen_template.frontmatter import split_template
from ggen_template.sandbox import CODE_CACHE

if TYPE_CHECKING:
    from jinja2 import Environment

    from ggen_mcp_core import Workspace


class WorkspaceLoader(BaseLoader):
    """Load templates by relative name from ``roots``, inside the workspace."""

    def __init__(self, workspace: Workspace, roots: Sequence[Path], *, max_bytes: int) -> None:
        self.workspace = workspace
        self.roots = [r for i, r in enumerate(roots) if r not in roots[:i]]
        self.max_bytes = max_bytes

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        parts = PurePosixPath(template.replace("\\", "/")).parts
        if not parts or template.startswith("/") or ".." in parts or "\x00" in template:
            raise TemplateNotFound(f"{template} (names are relative, without `..`)")
        for root in self.roots:
            found = self._read(root, Path(*parts))
            if found is not None:
                path, text = found
                split = split_template(text, name=self.workspace.relative(path))
                return split.padded_body(), self.workspace.relative(path), lambda: True
        raise TemplateNotFound(template)

    def _read(self, root: Path, relative: Path) -> tuple[Path, str] | None:
        candidate = root / relative
        try:
            real = self.workspace.resolve(candidate)
        except Exception:
            return None
        if root not in real.parents or not real.is_file():
            return None
        return real, self.workspace.read_text(real, max_bytes=self.max_bytes)

    def load(self, environment: Environment, name: str, globals: MutableMapping[str, Any] | None = None) -> Template:
        source, filename, uptodate = self.get_source(environment, name)
        code = CODE_CACHE.compile(environment, source, filename)  # type: ignore[arg-type]
        return environment.template_class.from_code(environment, code, globals or {}, uptodate)
