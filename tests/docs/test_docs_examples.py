"""The Python examples in README.md and docs/engine.md run as written (and say what they claim)."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("doc", ["README.md", "docs/engine.md", "docs/optim.md", "docs/training.md"])
def test_python_examples_run(doc):
    blocks = python_blocks(ROOT / doc)
    assert blocks, f"{doc} has no python examples"
    namespace: dict = {}
    for block in blocks:
        if block.lstrip().startswith("class "):  # a shape-of-the-code illustration, not runnable alone
            continue
        exec(compile(block, doc, "exec"), namespace)  # our own documentation, not user input


def test_readme_training_example_learns():
    namespace: dict = {}
    exec(compile(python_blocks(ROOT / "README.md")[0], "README.md", "exec"), namespace)
    assert namespace["loss"].item() < 0.3


def test_readme_has_exactly_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    bash = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    commands = [line for block in bash for line in block.splitlines() if line.strip()]
    assert commands == ['pip install -e ".[plot]" && losslab train', 'pip install -e ".[test]" && python -m pytest']
