/// The whole stylesheet: small enough to ship as a constant, served at `/assets/app.css`.
enum Stylesheet {
    static let css = """
        :root { --ink: #1d2430; --muted: #5b6472; --line: #d9dde3; --accent: #0b5cad; --bad: #b00020; --ok: #166534; }
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
        .badge.sync-held { background: #fff4d6; color: #6b4e00; }
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
        .scroll { overflow-x: auto; max-width: 100%; position: relative; }
        /* A form's fields fill their grid cell and never spill into the next (issue 29: Project over Title, Approver
           over the file input); a field's label and control sit at the top of the cell. */
        .po-form .field, #invoice-form .field { align-content: start; min-width: 0; }
        .po-form .field > input, .po-form .field > select, #invoice-form .field > input, #invoice-form .field > select { width: 100%; min-width: 0; }
        input[type=file] { max-width: 100%; }
        code { overflow-wrap: anywhere; }
        fieldset { min-width: 0; }
        .list-meta { color: var(--muted); }
        nav .count { display: inline-block; min-width: 1.4em; padding: 0 .35em; border-radius: 1em; background: var(--accent); color: #fff;
            font-size: .8em; text-align: center; font-weight: 600; }
        label.check { display: inline-flex; align-items: center; gap: .3rem; }
        :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        /* Phones (issue 29: at 390 px every page scrolled sideways): the header wraps, the navigation takes a line of
           its own, tables scroll inside themselves (.scroll), forms and facts take one column, the PDF goes below. */
        @media (max-width: 40rem) {
            header.top { flex-wrap: wrap; gap: .4rem 1rem; padding: .5rem .75rem; }
            header.top nav { order: 3; width: 100%; }
            nav ul { flex-wrap: wrap; gap: .2rem .9rem; }
            .who { margin-left: auto; flex-wrap: wrap; gap: .2rem .6rem; font-size: .9em; }
            main { padding: .75rem; }
            .invoice-layout { grid-template-columns: minmax(0, 1fr); }
            .invoice-document iframe { height: 60vh; }
            dl.facts { grid-template-columns: minmax(0, 1fr); }
            dl.facts dd { margin: 0 0 .4rem; }
            input, select, textarea { max-width: 100%; }
            .filters > * { max-width: 100%; }
            .actions { flex-wrap: wrap; }
            .po-form .grid, #invoice-form .grid { grid-template-columns: minmax(0, 1fr); }
            form.stack { max-width: 100%; grid-template-columns: minmax(0, 1fr); }
            form.stack input:not([type=checkbox]):not([type=radio]), form.stack select { width: 100%; }
        }
        """
}
