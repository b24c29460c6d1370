"""The help centre's articles as MCP resources, so an assistant can read the text it cites.

A model knows its articles' ids and titles only; the text comes from the file the model was
trained with (`train --articles`), or from the synthetic generator's help centre by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mcp_types as types

from supportability.data.dataset import Article

URI_PREFIX = "supportability://articles/"
URI_TEMPLATE = URI_PREFIX + "{article_id}"
MIME_TYPE = "text/markdown"


class HelpCentre:
    """Articles by id, listed and read as resources."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = {a.article_id: a for a in articles}

    @classmethod
    def load(cls, path: str | Path | None) -> HelpCentre:
        """The articles of a .csv/.jsonl/.parquet file, or the synthetic generator's when `path` is None."""
        if path is None:
            from supportability.data.generator import help_centre

            return cls(help_centre())
        from supportability.data.loaders import load_articles

        return cls(load_articles(path))

    @staticmethod
    def uri(article_id: str) -> str:
        return URI_PREFIX + article_id

    def resource(self, article: Article) -> types.Resource:
        return types.Resource(
            uri=self.uri(article.article_id),
            name=article.article_id,
            title=article.title,
            description=f"Help-centre article for the {article.queue} queue.",
            mime_type=MIME_TYPE,
        )

    def link(self, article_id: str) -> types.ResourceLink | None:
        """A resource link for a suggested article, when its text is here."""
        article = self.articles.get(article_id)
        if article is None:
            return None
        return types.ResourceLink(**self.resource(article).model_dump())

    def resources(self) -> list[types.Resource]:
        return [self.resource(a) for a in self.articles.values()]

    def template(self) -> types.ResourceTemplate:
        return types.ResourceTemplate(
            uri_template=URI_TEMPLATE,
            name="article",
            title="Help-centre article",
            description="The text of a help-centre article, by the article_id that suggest_articles returns.",
            mime_type=MIME_TYPE,
        )

    def read(self, uri: str) -> types.TextResourceContents | None:
        """The article's text, or None when the URI names no article of this help centre."""
        article = self.articles.get(uri.removeprefix(URI_PREFIX)) if uri.startswith(URI_PREFIX) else None
        if article is None:
            return None
        text = f"# {article.title}\n\nQueue: {article.queue}\n\n{article.text}\n"
        return types.TextResourceContents(uri=uri, mime_type=MIME_TYPE, text=text)
