"""The user's settings file: defaults for flags, read from `--config FILE`, else
$XDG_CONFIG_HOME/kexplore/config.yaml (else ~/.config/kexplore/config.yaml); flags win."""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec

from kexplore.errors import InputError, KexploreError, UsageError
from kexplore.inputs import DEFAULT_MAX_MB, MIB, read_regular

if TYPE_CHECKING:  # yaml is imported when there is a file: the TUI's first frame does not wait
    import yaml

CONFIG_MAX = 1 * MIB
FIX = "see `kexplore --help` for the keys; fix or remove the line"
Positive = Annotated[float, msgspec.Meta(gt=0)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]


class Settings(msgspec.Struct, frozen=True, rename="kebab", forbid_unknown_fields=False):
    """What the file may set; None: not set (the flag's default stands)."""

    debug_image: str | None = None  # check --debug-image; the TUI's probes
    capture_image: str | None = None  # check --capture-image; the TUI's probes
    probe_timeout: Positive | None = None  # check --probe-timeout; the TUI's probes
    l7_path: str | None = None  # check --path; the TUI's HTTP probes
    theme: str | None = None  # --theme (the TUI)
    transcript_dir: str | None = None  # where the TUI's new session files go
    max_input_mb: PositiveInt | None = None  # --max-input-mb


KEYS = Settings.__struct_encode_fields__
# args attribute -> (settings attribute, default when neither flag nor file sets it)
APPLIED: dict[str, tuple[str, object]] = {
    "debug_image": ("debug_image", None),
    "capture_image": ("capture_image", None),
    "probe_timeout": ("probe_timeout", 5.0),
    "path": ("l7_path", "/"),
    "theme": ("theme", None),
    "max_input_mb": ("max_input_mb", DEFAULT_MAX_MB),
    "transcript_dir": ("transcript_dir", None),
}


@dataclass(frozen=True)
class Config:
    """The settings, where they came from, the line of each key, and warnings to print."""

    settings: Settings = field(default_factory=Settings)
    path: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def where(self, key: str) -> str:
        """`FILE:LINE` of a key, for messages."""
        return f"{self.path}:{self.lines.get(key, 1)}"


def default_path() -> Path:
    """$XDG_CONFIG_HOME/kexplore/config.yaml, else ~/.config/kexplore/config.yaml."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "kexplore" / "config.yaml"


def load_config(explicit: str | None) -> Config:
    """The settings of `--config FILE` (which must exist) or of the default file (if any)."""
    path = Path(explicit).expanduser() if explicit else default_path()
    if not explicit and not path.exists():
        return Config()
    try:
        text = read_regular(path, CONFIG_MAX).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"config {path}: not UTF-8 text", FIX) from e
    except InputError as e:
        raise InputError(f"config {e.message}", e.fix or FIX) from e
    return parse_config(path, text)


def parse_config(path: Path, text: str) -> Config:
    """Settings from YAML text; a bad file raises InputError naming FILE:LINE and the key."""
    import yaml

    node, doc = _compose(path, text)
    if doc is None:
        return Config(path=path)
    if not isinstance(doc, dict) or not isinstance(node, yaml.MappingNode):
        raise InputError(f"config {path}:1: expected key: value lines, not a YAML list or text")
    lines = _key_lines(path, node)
    config = Config(Settings(), path, lines, tuple(_unknown(path, lines)))
    try:
        settings = msgspec.convert(doc, Settings)
    except msgspec.ValidationError as e:
        key, problem = _explain(str(e))
        raise InputError(f"config {config.where(key)}: {key}: {problem}", FIX) from e
    if settings.l7_path is not None:
        from kexplore.probes.strategy import BadTarget, check_path  # not before the first frame

        try:
            check_path(settings.l7_path)
        except BadTarget as e:
            raise InputError(f"config {config.where('l7-path')}: l7-path: {e}", FIX) from e
    if settings.transcript_dir is not None:  # relative to the file, as kubeconfig paths are
        folder = path.parent / Path(settings.transcript_dir).expanduser()
        settings = msgspec.structs.replace(settings, transcript_dir=str(folder))
    return Config(settings, path, lines, config.warnings)


def _compose(path: Path, text: str) -> tuple[yaml.Node | None, object]:
    """The YAML's node tree (for lines) and its value; syntax errors name FILE:LINE."""
    import yaml

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.reader.ReaderError as e:
        row = text[: e.position].count("\n") + 1
        code = e.character if isinstance(e.character, int) else ord(e.character)
        raise InputError(f"config {path}:{row}: character #x{code:04x} is not allowed", FIX) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "not valid YAML"
        raise InputError(f"config {path}{line}: {problem}", FIX) from e


def _key_lines(path: Path, node: yaml.MappingNode) -> dict[str, int]:
    """The line of each key; a key that is not text (`1:`, `null:`) is an error."""
    lines: dict[str, int] = {}
    for key, _ in node.value:
        line = key.start_mark.line + 1
        if key.tag != "tag:yaml.org,2002:str":
            raise InputError(f"config {path}:{line}: {key.value!r} is not a key name", FIX)
        lines[str(key.value)] = line
    return lines


def _unknown(path: Path, lines: dict[str, int]) -> list[str]:
    from kexplore.checks.suggest import did_you_mean

    return [
        f"warning: config {path}:{line}: unknown key {key!r} ignored{did_you_mean(key, KEYS)}"
        for key, line in lines.items()
        if key not in KEYS
    ]


def _explain(message: str) -> tuple[str, str]:
    """msgspec's `Expected `str | null`, got `int` - at `$.theme`` as (key, problem)."""
    found = re.search(r" - at `\$\.([^`.\[]+)`", message)
    key = found.group(1) if found else ""
    problem = message[: found.start()] if found else message
    for word, said in (("str", "text"), ("float", "a number"), ("int", "a whole number")):
        problem = problem.replace(f"`{word} | null`", said).replace(f"`{word}`", said)
    return key, problem[:1].lower() + problem[1:].replace("`", "")


def apply_config(args: argparse.Namespace, config: Config) -> None:
    """Fill what the command line left unset from the file, then the built-in defaults;
    `args.set_by[dest]` names where a value came from (`--flag` or `config FILE:LINE`)."""
    args.set_by = {}
    for dest, (key, default) in APPLIED.items():
        value = getattr(args, dest, None)
        args.set_by[dest] = "--" + dest.replace("_", "-")
        if value is None:
            value = getattr(config.settings, key)
            encoded = KEYS[Settings.__struct_fields__.index(key)]
            args.set_by[dest] = f"config {config.where(encoded)}: {encoded}"
        setattr(args, dest, default if value is None else value)


def bad_setting(args: argparse.Namespace, dest: str, problem: str, fix: str) -> KexploreError:
    """The error for a value the command cannot use, naming its flag or FILE:LINE and key."""
    where = args.set_by[dest]
    error = InputError if where.startswith("config ") else UsageError
    return error(f"{where}: {problem}", fix)
