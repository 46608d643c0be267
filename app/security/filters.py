"""The search filters FAB offers on list pages, limited to the ones its search form can use.

FAB's In / Not In expect a list of values, but the search form sends one text: `for v in value` then takes each
character as a value ("内科" finds 内 or 科). They are left out of every column's operations; the others are
named in Chinese by app/translations.
"""
from flask_appbuilder.models.sqla.filters import FilterIn, FilterNotIn, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface

UNUSABLE = (FilterIn, FilterNotIn)


class FormFilterConverter(SQLAFilterConverter):
    conversion_table = tuple((test, [f for f in filters if f not in UNUSABLE])
                             for test, filters in SQLAFilterConverter.conversion_table)


class AppInterface(SQLAInterface):
    """SQLAInterface whose search offers only the operations the search form can use."""

    filter_converter_class = FormFilterConverter
