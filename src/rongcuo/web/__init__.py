"""The Django project: settings, URLs, WSGI. The apps are rongcuo.{audit,workdays,registry,cases}."""
