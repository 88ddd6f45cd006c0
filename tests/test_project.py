"""The README tells the truth about the repository: its files, its commands, and what is ignored."""
import re
import subprocess

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))}
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def test_every_make_command_in_the_readme_and_docs_exists_and_is_in_help():
    targets = set(re.findall(r"^([a-z][a-z-]*):.*## ", MAKEFILE, re.M))
    mentioned = set(re.findall(r"`make ([a-z-]+)", README + "".join(DOCS.values())))
    assert mentioned and mentioned <= targets, mentioned - targets
    help_text = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    for target in targets:
        assert f"make {target} " in help_text, target


def layout_paths() -> list:
    """Paths in the README's layout block: top-level entries, and entries indented under a folder."""
    layout = README.split("## Project layout", 1)[1].split("```", 2)[1]
    paths, folder = [], ""
    for line in layout.splitlines():
        match = re.match(r"^( *)(\S+)", line)
        if not match:
            continue
        indent, name = match.groups()
        if indent:
            paths.append(folder + name)
        else:
            paths.append(name)
            folder = name if name.endswith("/") else ""
    return paths


def test_every_file_in_the_readme_layout_exists():
    paths = layout_paths()
    assert len(paths) > 20
    generated = ("models/", "results/")
    assert [p for p in paths if p not in generated and not (ROOT / p).exists()] == []


def test_every_tracked_file_is_in_the_readme_layout():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    listed = layout_paths()
    unlisted = [p for p in tracked if not any(p == l or (l.endswith("/") and p.startswith(l)) for l in listed)]
    assert tracked and unlisted == []


def test_generated_files_are_ignored():
    ignored = (ROOT / ".gitignore").read_text()
    for entry in ("models/", "results/", ".venv/", "*.db"):
        assert entry in ignored


def test_every_project_path_the_docs_name_exists():
    # `knowledge/answers.yml`, `data/nlu/`, `dialogue/importer.py`: a guide that names a file that is gone misleads.
    for name, text in DOCS.items():
        named = set(re.findall(r"`((?:knowledge|data|tests|dialogue|actions|nlu|web|scripts|deploy|docs)/[\w./-]*)`", text))
        assert named, name
        assert [p for p in named if not (ROOT / p).exists()] == [], name


def anchors(markdown: str) -> set:
    """GitHub's anchors of the headings: lower case, punctuation dropped, spaces as hyphens."""
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"(?m)^#+ (.+)$", markdown)}


def test_every_link_between_the_readme_and_the_docs_leads_somewhere():
    pages = {ROOT / "README.md": README, **{ROOT / "docs" / name: text for name, text in DOCS.items()}}
    broken = []
    for page, text in pages.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, mailto:
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []
