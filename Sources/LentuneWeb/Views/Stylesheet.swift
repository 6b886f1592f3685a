/// The whole stylesheet: small enough to ship as a constant, served at `/assets/app.css`.
enum Stylesheet {
    static let css = """
        :root { --ink: #1d2430; --muted: #5b6472; --line: #d9dde3; --accent: #0b5cad; --bad: #b00020; --ok: #1b7f3b; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
        header.top { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.25rem; border-bottom: 1px solid var(--line); background: #f7f8fa; }
        .brand { font-weight: 700; color: var(--accent); text-decoration: none; }
        nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
        nav a { color: var(--ink); text-decoration: none; padding: .25rem 0; }
        nav a[aria-current=page] { border-bottom: 2px solid var(--accent); font-weight: 600; }
        .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; color: var(--muted); }
        main { padding: 1.25rem; max-width: 72rem; }
        h1 { font-size: 1.5rem; margin: 0 0 1rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
        th { color: var(--muted); font-weight: 600; }
        form.stack { display: grid; gap: .4rem; max-width: 22rem; }
        form.inline { display: inline; }
        input, select, button, textarea { font: inherit; padding: .35rem .5rem; }
        button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
        button[disabled] { background: #9aa3ad; cursor: not-allowed; }
        .flash { padding: .5rem .75rem; border-radius: 4px; }
        .flash.error { background: #fde8eb; color: var(--bad); }
        .flash.notice { background: #e6f4ea; color: var(--ok); }
        .empty, .hint { color: var(--muted); }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        dt { color: var(--muted); }
        .tabs ul { display: flex; gap: 1rem; list-style: none; padding: 0; border-bottom: 1px solid var(--line); }
        .tabs a { display: inline-block; padding: .4rem 0; color: var(--ink); text-decoration: none; }
        .tabs a[aria-current=page] { border-bottom: 2px solid var(--accent); font-weight: 600; }
        .breadcrumbs { color: var(--muted); margin: 0 0 .5rem; }
        .cog { font-size: 1.3rem; text-decoration: none; }
        .field-error { color: var(--bad); margin: 0; }
        tr.invalid th, tr.invalid td { background: #fff5f6; }
        .muted { color: var(--muted); font-weight: normal; }
        .stages label { display: block; white-space: nowrap; }
        .stages { border: 0; padding: 0; margin: 0; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
        .confirm { border: 2px solid var(--accent); border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; background: #f3f8fd; }
        .copy input { width: 100%; font-family: monospace; }
        button.secondary { background: #e9edf2; color: var(--ink); }
        .actions { margin: .75rem 0; display: flex; gap: .5rem; }
        a.button { display: inline-block; background: var(--accent); color: #fff; padding: .35rem .7rem; border-radius: 4px; text-decoration: none; }
        a.button.secondary { background: #e9edf2; color: var(--ink); }
        .toolbar { margin-bottom: .75rem; }
        .filters { display: flex; flex-wrap: wrap; gap: .4rem; margin-bottom: .5rem; }
        .badge { font-size: .85em; padding: .05rem .4rem; border-radius: 3px; background: #eef1f4; white-space: nowrap; }
        .badge.sync-synced { background: #e6f4ea; color: var(--ok); }
        .badge.sync-failed { background: #fde8eb; color: var(--bad); }
        .pagination { margin: .75rem 0; }
        .po-form .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .5rem 1rem; }
        .po-form .field { display: grid; gap: .2rem; margin-bottom: .5rem; }
        .po-form textarea { width: 100%; }
        #line-items input, #line-items select { width: 100%; }
        .totals dd { font-variant-numeric: tabular-nums; }
        .description { white-space: pre-wrap; }
        #invoice-form .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .5rem 1rem; }
        #invoice-form .field { display: grid; gap: .2rem; margin-bottom: .5rem; }
        #invoice-lines input, #invoice-lines select { width: 100%; }
        .invoice-layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; align-items: start; }
        .invoice-document iframe { width: 100%; height: 70vh; border: 1px solid #d0d7de; }
        .indicator { font-weight: 600; }
        .indicator-green { color: var(--ok); }
        .indicator-red { color: var(--bad); }
        .indicator-orange { color: #b35900; }
        .flash.warning { background: #fff4e0; color: #8a4b00; }
        """
}
