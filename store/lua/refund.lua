-- Take back one attempt from a rate-limit window counter that still exists (never below what was counted).
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0
