DROP INDEX posts_sitemap;
