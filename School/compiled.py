"""Hot look-ups whose statements are compiled once per kind of database.

Every request of a signed-in user reads its session, its second-factor
device and (for any permission check) its permissions, and every request of
the student table its school's students stamp.
The ORM built and compiled each of those statements again on every request:
about ten times what SQLite itself spent answering them. Here the ORM
compiles the statement once (the same text for every school of one kind of
database), and each request runs it with its own value and converts the
columns as the ORM would.

Not on MongoDB, whose queries are not SQL text: `row_by` returns NO_STATEMENT
there (`rows_of` None), and the caller uses the ORM.
"""

from django.db import connections

NO_STATEMENT = object()
_UNFIT = object()  # a statement (or shape) the ORM's own text cannot be kept for

_statements = {}  # (vendor, name) -> (sql, select expressions)


def _statement(connection, alias, name, build, params):
    """(sql, select expressions) of the queryset `build()` makes, compiled the first time for this kind of database.

    `params` must be exactly what the ORM sends for it (each value as the
    field prepares it), in order: then the statement runs as well with the
    values of later calls. None when they differ (left to the ORM).
    """
    key = (connection.vendor, name)
    statement = _statements.get(key)
    if statement is None:
        compiler = build().query.get_compiler(alias)
        sql, compiled_params = compiler.as_sql()
        if list(compiled_params) != list(params):
            # Remembered: compiled again on every call, then run by the ORM, it cost twice the ORM alone (a
            # boolean condition, `is_current=True`, is compiled into the text with no parameter).
            statement = _statements[key] = _UNFIT
        else:
            statement = _statements[key] = (sql, [expression for expression, _sql, _alias in compiler.select])
    return None if statement is _UNFIT else statement


def _converters(connection, name, expressions):
    """[(column, expression, converters)] of the columns the ORM converts, listed once per connection and statement.

    Kept on the connection: a converter may be a method of that connection's
    operations (a datetime's, reading its time zone). Asked again on every
    row, the ORM's lists were most of the time a two-row statement took.
    """
    kept = connection.__dict__.setdefault("school_compiled_converters", {})
    converters = kept.get(name)
    if converters is None:
        converters = kept[name] = [
            (index, expression, functions) for index, expression in enumerate(expressions)
            if (functions := connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
        ]
    return converters


def _converted(connection, converters, row):
    if not converters:
        return tuple(row)
    values = list(row)
    for index, expression, functions in converters:
        for convert in functions:
            values[index] = convert(values[index], expression, connection)
    return tuple(values)


def rows_of(alias, name, build, params):
    """Every row of `build()` (a values_list queryset at `alias`) run with `params`, converted; None on MongoDB.

    `name` identifies the statement's shape: one `build` for each name.
    """
    connection = connections[alias]
    if connection.vendor == "mongodb":
        return None
    statement = _statement(connection, alias, name, build, params)
    if statement is None:
        return None
    sql, expressions = statement
    return _run(connection, name, sql, list(params), expressions)


def _run(connection, name, sql, params, expressions):
    """Every row of a kept statement run with `params`, each column converted as the ORM would."""
    converters = _converters(connection, name, expressions)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_converted(connection, converters, row) for row in cursor.fetchall()]


def rows_or_orm(alias, name, build, params):
    """rows_of(), or on MongoDB (or where the statement cannot be kept) the ORM's rows of `build()` as tuples."""
    rows = rows_of(alias, name, build, params)
    return [tuple(row) for row in build()] if rows is None else rows


def row_by(alias, model, field_name, value, columns):
    """`columns` of the (first) row of `model` at `alias` whose `field_name` equals `value`, converted; None if none.

    `value` is prepared by the field as the ORM does, so a malformed id raises
    the same ValueError, TypeError or ValidationError as a filter() would.
    """
    connection = connections[alias]
    if connection.vendor == "mongodb":
        return NO_STATEMENT
    param = model._meta.get_field(field_name).get_db_prep_value(value, connection, prepared=False)
    columns = tuple(columns)
    rows = rows_of(
        alias, ("row_by", model._meta.label, field_name, columns),
        lambda: model._default_manager.using(alias).filter(**{field_name: value}).values_list(*columns)[:1], [param],
    )
    if rows is None:
        return NO_STATEMENT
    return rows[0] if rows else None


def value_by(alias, model, field_name, value, column):
    """`column` of the (first) row of `model` at `alias` whose `field_name` equals `value`, None if none (the ORM's on MongoDB)."""
    row = row_by(alias, model, field_name, value, (column,))
    if row is NO_STATEMENT:
        return model._default_manager.using(alias).filter(**{field_name: value}).values_list(column, flat=True).first()
    return None if row is None else row[0]


def instance_by(alias, model, field_name, value):
    """The model instance at `alias` whose `field_name` equals `value` (see row_by), None, or NO_STATEMENT."""
    fields = [field for field in model._meta.concrete_fields]
    row = row_by(alias, model, field_name, value, tuple(field.attname for field in fields))
    if row is None or row is NO_STATEMENT:
        return row
    return model.from_db(alias, [field.attname for field in fields], row)


def all_of(alias, name, build, params):
    """The model instances of `build()` (a queryset at `alias`) run with `params`, by a statement kept as
    rows_or_orm() keeps it; `name` identifies the statement's shape."""
    model = build().model
    attnames = [field.attname for field in model._meta.concrete_fields]
    rows = rows_or_orm(alias, ("all_of", name), lambda: build().values_list(*attnames), params)
    return [model.from_db(alias, attnames, row) for row in rows]


def one_by(alias, model, field_name, value):
    """The model instance at `alias` whose unique `field_name` equals `value`, or None: instance_by(), or the
    ORM's where no statement is kept (MongoDB)."""
    found = instance_by(alias, model, field_name, value)
    if found is NO_STATEMENT:
        return model._default_manager.using(alias).filter(**{field_name: value}).first()
    return found


_shapes = {}  # (vendor, name) -> (sql with LIMIT and OFFSET, [(slot, constant)], select expressions) or _UNFIT


def _shape(connection, alias, name, build, slots):
    key = (connection.vendor, name)
    shape = _shapes.get(key)
    if shape is None:
        # Markers in the values' places tell where each one lands among the
        # statement's parameters; the other parameters are the query's own.
        markers = {slot: f"\x00{slot}\x00" for slot in slots}
        slot_of = {marker: slot for slot, marker in markers.items()}
        compiler = build(markers).query.get_compiler(alias)
        sql, params = compiler.as_sql()
        places = [(slot_of[param], None) if isinstance(param, str) and param in slot_of else (None, param)
                  for param in params]
        if {slot for slot, _constant in places if slot is not None} != set(slots) or compiler.query.is_sliced:
            shape = _UNFIT  # a field changed a value on its way (or build sliced): left to the ORM
        else:
            expressions = [expression for expression, _sql, _alias in compiler.select]
            shape = (f"{sql} LIMIT %s OFFSET %s", places, expressions)
        _shapes[key] = shape
    return shape


def page_of(alias, name, build, values, offset, limit):
    """Rows offset..offset + limit of `build(values)` (a values_list queryset at `alias`), converted.

    The student table's page with its search and filters: the ORM built
    and compiled its statement again on every request, a tenth of the
    page's time and more with each filter chosen. Here it is compiled once
    per `name`, which must fix everything `build` does but the values
    ({slot: value}, passed to the ORM as they are). None on MongoDB, or
    when a field changes a value on its way (the caller uses the ORM).
    """
    connection = connections[alias]
    if connection.vendor == "mongodb":
        return None
    shape = _shape(connection, alias, name, build, tuple(values))
    if shape is _UNFIT:
        return None
    sql, places, expressions = shape
    params = [values[slot] if slot is not None else constant for slot, constant in places] + [limit, offset]
    return _run(connection, name, sql, params, expressions)


def update_rows(alias, instances):
    """Write every field of each of `instances` (saved rows of one model) as save() would, in one statement.

    refresh-figures --all stores a batch of schools' figures in the parent
    process, one school after another: save() built and compiled the same
    UPDATE again for each row, the parent's largest cost per school. Here it
    is one executemany on SQL databases; MongoDB gets save().
    """
    if not instances:
        return
    connection = connections[alias]
    if connection.vendor == "mongodb":
        for instance in instances:
            instance.save(using=alias)
        return
    meta = type(instances[0])._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(field.column)} = %s' for field in fields)}"
           f" WHERE {quote(meta.pk.column)} = %s")
    rows = [
        [field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields]
        + [meta.pk.get_db_prep_value(instance.pk, connection)]
        for instance in instances
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


KEYS_PER_STATEMENT = 500
INTEGER_KEYS = ("AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField")


def update_by_keys(alias, model, keys, changes, by=None):
    """queryset.filter(pk__in=keys).update(**changes) of `model` at `alias` (by=NAME: NAME__in, a unique field);
    returns the number of rows matched.

    `changes` are {attname: value} of plain values (no expressions). Promotion
    day and the identity digests set a few columns of hundreds of rows picked
    by key: the ORM prepared each key of the IN list through the lookup
    machinery and compiled the statement again for every school, more than
    SQLite took to run it. Here the values are prepared once per statement,
    the keys by the primary key's own field. MongoDB gets the ORM.
    """
    keys = list(keys)
    connection = connections[alias]
    if connection.vendor == "mongodb":
        return model._base_manager.using(alias).filter(**{f"{by or 'pk'}__in": keys}).update(**changes) if keys else 0
    meta = model._meta
    key_field = meta.pk if by is None else meta.get_field(by)
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in changes]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    values = [field.get_db_prep_save(value, connection) for field, value in zip(fields, changes.values())]
    prepare = key_field.get_db_prep_value
    # Integer keys as Python ints go as they are: what the field would make of each of them, without a call
    # (and its checks) per key, about 700 a school on promotion day.
    as_they_are = key_field.get_internal_type() in INTEGER_KEYS and all(type(key) is int for key in keys)
    matched = 0
    with connection.cursor() as cursor:
        for start in range(0, len(keys), KEYS_PER_STATEMENT):
            batch = keys[start:start + KEYS_PER_STATEMENT]
            if not as_they_are:
                batch = [prepare(key, connection) for key in batch]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(key_field.column)} IN ({', '.join(['%s'] * len(batch))})",
                values + batch,
            )
            matched += cursor.rowcount
    return matched
