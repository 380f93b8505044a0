-- Every alert says why, its id is md5('<brand>|<YYYY-MM-DD>') (what the alert sensor expects),
-- and it lists between 1 and 5 videos. Returns the rows that break this.
select alert_id, brand, day, reasons, top_videos
from {{ ref('brand_alerts') }}
where reasons is null
   or reasons = ''
   or alert_id <> md5(brand || '|' || {{ iso_date('day') }})
   or top_videos is null
   or length(top_videos) - length(replace(top_videos, ',', '')) > 4
