-- Within each competitor group and day the shares of voice add up to 1 (every brand of the group
-- has a row, 0 when it was not mentioned). Returns the groups and days that do not.
select day, competitor_group, sum(share_of_voice) as total_share
from {{ ref('share_of_voice') }}
group by day, competitor_group
having abs(sum(share_of_voice) - 1) > 1e-9
