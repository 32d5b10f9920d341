"""Record sets published as XML or RDF, read into the same records as JSON.

Portals publish tables as XML as often as CSV: Oracle's ``<ROWSET><ROW>`` exports, Socrata's
``<response><row><row>``, agency dumps where each record is an element with attributes. An RDF
file (RDF/XML or Turtle) is 4-star linked data; its natural table is one row per subject and one
column per predicate. Both become ``list[dict[str, str]]`` for ``load._load_records``.

Safety: documents that declare entities are refused before parsing (no entity expansion of any
kind, internal or external); the stdlib parsers never fetch external entities or DTDs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any
from xml.parsers import expat

MAX_RECORDS = 2_000_000
"""Records read from one document; past this the rest is dropped with a note (a sheet's limit)."""
MAX_RDF_BYTES = 64 * 1024 * 1024
"""rdflib parses about 50k triples a second here: a larger graph would outlast the worker's time
limit, so it is refused with a reason instead."""
_NESTING = 3
"""Child elements are flattened into ``Parent.Child.Leaf`` columns to this depth; deeper content
is joined as text into the column of its ancestor at that depth."""


class MarkupError(ValueError):
    """The document cannot be read as records; the message says why, for a person."""


class _RootReached(Exception):
    pass


def _refuse_entities(path: Path) -> None:
    """Refuse a document whose DTD declares entities (general or parameter, internal or external)
    before anything expands them: expat reads the prolog (in the document's own encoding, UTF-16
    included) up to the root element's start tag, and any entity declaration on the way refuses
    it. A document that does not parse is left to the reader, which names the error."""
    scanner = expat.ParserCreate()

    def declared(*_: object) -> None:
        raise MarkupError("the document declares XML entities, which ODQ does not expand (a bomb risk)")

    def root(*_: object) -> None:
        raise _RootReached

    scanner.EntityDeclHandler = declared
    scanner.UnparsedEntityDeclHandler = declared
    scanner.StartElementHandler = root
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(64 * 1024), b""):
                scanner.Parse(chunk, False)
            scanner.Parse(b"", True)
    except (_RootReached, expat.ExpatError):
        return


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _record_level(path: Path) -> tuple[int, str]:
    """The depth and tag of the repeating record element: the children of the root, or deeper
    while the level holds one bare wrapper element (no attributes) around the records."""
    counts: list[Counter[str]] = [Counter() for _ in range(5)]
    bare = [True] * 5
    depth = -1
    for event, elem in ET.iterparse(path, events=("start", "end")):
        if event == "start":
            depth += 1
            if 1 <= depth <= 4:
                counts[depth][_local(elem.tag)] += 1
                if elem.attrib:
                    bare[depth] = False
        else:
            depth -= 1
            elem.clear()
    level = 1
    while level < 4 and sum(counts[level].values()) == 1 and bare[level] and counts[level + 1]:
        level += 1
    if not counts[level]:
        raise MarkupError("the XML document has no elements inside its root")
    return level, counts[level].most_common(1)[0][0]


def _put(out: dict[str, str], key: str, value: str) -> None:
    out[key] = f"{out[key]}; {value}" if key in out else value


def _flatten(elem: ET.Element, prefix: str, out: dict[str, str], depth: int) -> None:
    for name, value in elem.attrib.items():
        _put(out, prefix + _local(name), value)
    for child in elem:
        key = prefix + _local(child.tag)
        if len(child) == 0 and not child.attrib:
            _put(out, key, (child.text or "").strip())
        elif depth >= _NESTING:
            _put(out, key, " ".join(t.strip() for t in child.itertext() if t.strip()))
        else:
            _flatten(child, key + ".", out, depth + 1)
            text = (child.text or "").strip()
            if text:
                _put(out, key, text)


def xml_records(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    """The records of an XML document and notes about how they were found."""
    _refuse_entities(path)
    try:
        level, tag = _record_level(path)
        records: list[dict[str, str]] = []
        depth = -1
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                continue
            ended = depth
            depth -= 1
            if ended == level and _local(elem.tag) == tag and len(records) < MAX_RECORDS:
                row: dict[str, str] = {}
                _flatten(elem, "", row, 1)
                text = (elem.text or "").strip()
                if text and len(elem) == 0:
                    row["value"] = text
                records.append(row)
            if ended <= level:  # a record's children are freed with it, after it is flattened
                elem.clear()
    except ET.ParseError as exc:
        raise MarkupError(f"the XML does not parse: {exc}") from exc
    notes = [f"read the <{tag}> elements at depth {level} of the XML as records"]
    if len(records) >= MAX_RECORDS:
        notes.append(f"only the first {MAX_RECORDS:,} records were read")
    return records, notes


def rdf_records(path: Path, fmt: str) -> tuple[list[dict[str, str]], list[str]]:
    """One record per subject of an RDF graph (RDF/XML or Turtle), one column per predicate
    (as a prefixed name where the document declares the prefix), multiple values joined by
    ``; ``. Where the subjects have types, the table is the class whose subjects carry the most
    statements (a DCAT graph of one dataset and nine distributions is the table of its
    distributions): subjects of different classes share few predicates, so one table of all of
    them would be mostly empty cells that are not missing data. Blank nodes are numbered
    by what they say (see ``_blank_labels``) and rows are sorted, so the same file always gives
    the same table, whatever order the parser and the store hand the triples out in."""
    import rdflib
    from rdflib.term import BNode, Node

    if path.stat().st_size > MAX_RDF_BYTES:
        raise MarkupError(
            f"the RDF graph is over {MAX_RDF_BYTES // 2**20} MB, more than ODQ reads as a table"
        )
    _refuse_entities(path)
    graph = rdflib.Graph()
    try:
        graph.parse(str(path), format="xml" if fmt == "rdf" else "turtle")
    except Exception as exc:  # rdflib raises parser-specific errors (SAXParseException, BadSyntax …)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MarkupError(
            f"the {'RDF/XML' if fmt == 'rdf' else 'Turtle'} does not parse: {first[:200]}"
        ) from exc
    blank = _blank_labels(graph)
    manager = graph.namespace_manager

    def term(node: Node) -> str:
        if isinstance(node, BNode):
            return blank[node]
        if isinstance(node, rdflib.URIRef):
            try:
                return manager.normalizeUri(node).strip("<>")
            except Exception:  # an IRI rdflib cannot split into prefix and name
                return str(node)
        return str(node)

    kinds: Counter[Node] = Counter()  # a class weighs the statements of its subjects
    for node, kind in graph.subject_objects(rdflib.RDF.type):
        kinds[kind] += len(list(graph.predicate_objects(node)))
    chosen = max(kinds, key=lambda k: (kinds[k], str(k))) if kinds else None
    subjects = set(graph.subjects(rdflib.RDF.type, chosen)) if chosen is not None else None
    statements = sorted(
        (isinstance(s, BNode), term(s), term(p), term(o))
        for s, p, o in graph
        if subjects is None or s in subjects
    )
    rows: dict[str, dict[str, str]] = {}
    for _, name, predicate, value in statements:
        if name not in rows and len(rows) >= MAX_RECORDS:
            break
        _put(rows.setdefault(name, {"subject": name}), predicate, value)
    notes = [
        f"read the RDF graph ({len(graph):,} triples) as a table, one row per subject, one column per predicate"
    ]
    if chosen is not None and len(kinds) > 1:
        others = len(set(graph.subjects())) - len(rows)
        notes.append(
            f"scored the {len(rows):,} subject(s) of class {term(chosen)}, the class with the most statements of {len(kinds)}; "
            f"{others:,} other subject(s) left out"
        )
    return list(rows.values()), notes


def _blank_labels(graph: Any) -> dict[Any, str]:
    """Stable labels for blank nodes: rdflib gives them random ids, so they are ordered by what
    is said of and about them (their statements with other blank nodes masked) and numbered in
    that order. Blank nodes that say the same are interchangeable in the table anyway."""
    from rdflib.term import BNode

    def shown(node: Any) -> str:
        return "_" if isinstance(node, BNode) else node.n3()

    nodes = {n for t in graph for n in (t[0], t[2]) if isinstance(n, BNode)}
    signature = {
        n: (
            sorted((shown(p), shown(o)) for p, o in graph.predicate_objects(n)),
            sorted((shown(s), shown(p)) for s, p in graph.subject_predicates(n)),
        )
        for n in nodes
    }
    ordered = sorted(nodes, key=lambda n: signature[n])
    return {n: f"_:b{i}" for i, n in enumerate(ordered, start=1)}
