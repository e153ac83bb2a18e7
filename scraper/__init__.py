"""Scrapy: settings, the watch spider, item pipelines, article extraction."""
