"""Coverage-guided fuzzing of the loaders, for long runs outside CI.

    pip install atheris
    python fuzz/fuzz_loaders.py json -max_total_time=1800
    python fuzz/fuzz_loaders.py cloudformation -max_total_time=1800 fuzz/corpus/cloudformation
    python fuzz/fuzz_loaders.py terraform -max_total_time=1800

The first argument names a loader FORMAT (`iamlint rules`' loaders: json,
cloudformation, terraform, terraform-plan); the rest are libFuzzer's
options and corpus directories. Seeds come from tests/fixtures. A loader
may return error documents for bad input, but must never raise: any
exception is a crash, and libFuzzer saves the input that caused it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    import atheris

    from iamlint import loaders
    from iamlint.loaders import Source

    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    wanted = sys.argv.pop(1)
    by_format = {ldr.FORMAT: ldr for ldr in loaders.loaders()}
    if wanted not in by_format:
        sys.exit(f"no loader {wanted!r}; have {sorted(by_format)}")
    loader = by_format[wanted]
    name = "fuzz" + loader.EXTENSIONS[0]

    def one_input(data: bytes) -> None:
        source = Source(ROOT / name, name, data)
        for document in loader.load([source]):
            for _ in document.all_policies():
                pass

    # Loaders import their parsers on first use: load the seeds once so those
    # modules exist, then instrument everything loaded for coverage.
    for seed_dir in (a for a in sys.argv[1:] if not a.startswith("-")):
        for seed in sorted(Path(seed_dir).iterdir())[:50]:
            one_input(seed.read_bytes())
    atheris.instrument_all()
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
