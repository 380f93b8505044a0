-- A tracked hashtag is not its own co-hashtag. Returns rows that pair a hashtag with itself.
select day, hashtag, co_hashtag
from {{ ref('hashtag_trends') }}
where co_hashtag = hashtag
