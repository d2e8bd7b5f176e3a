// 绩效通 page behaviour (no inline scripts: CSP script-src 'self')
