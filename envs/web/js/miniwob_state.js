// The page's verdict: whether the episode is over, its raw reward and the reason it gives.
() => [WOB_DONE_GLOBAL, WOB_RAW_REWARD_GLOBAL, WOB_REWARD_REASON]
