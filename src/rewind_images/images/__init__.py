"""The image feature: every image route, and everything behind them.

routes.py       the feature's routes (the hit route first)
inputs.py       path and query models: which entities exist, which hints the sources take
items.py        an entity item in a JSON body (batch, backfill, queue message), read with the
                GET's own models
row.py          the image row, defined once (its fields; the store's columns derive from it)
variants.py     sizes, R2 keys and CDN URLs (pure)

hit/            what a hit does: the redirect, the isolate's record cache, the JSON form
resolution/     how an entity is resolved: the one door (admission), the miss budget, the
                pipeline, the search of the sources, the analysis
writing/        what every writer must do: hold the entity's claim, keep R2 and D1 agreeing
store/          its SQL, one module per table group
attachments/    the attachment JSON, the batch route, placeholders
background/     Queues: the producer, the consumer, the admin backfill
admin/          admin operations: alternatives, override/revert, delete, re-analysis
"""
