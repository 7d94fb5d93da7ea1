import Hummingbird
import NIOCore
import ServiceKit

/// GET /dashboard: the supervisors' page (电子监察大屏) — lights by department, the overdue list and
/// the rates. The page itself holds no data and needs no token; its script reads
/// GET /supervision/overview with the supervisor's bearer token and reads it again every few
/// seconds, so the page follows the events as they arrive.
///
/// The token: the page takes it from the URL fragment (`/dashboard#token=…`; a fragment never
/// reaches a server or its logs) or asks for it, and keeps it in the tab's sessionStorage only.
/// `from` and `to` in the query (YYYY-MM-DD) choose the period of the rates.
enum DashboardPage {
    static func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("dashboard") { _, _ in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8",
                    .cacheControl: "no-store",
                    .contentSecurityPolicy: "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
                ],
                body: .init(byteBuffer: ByteBuffer(string: html))
            )
        }
    }

    /// How often the page reads the overview again, in milliseconds.
    static let refreshMilliseconds = 5000

    static let html = """
    <!doctype html>
    <html lang="zh-CN">
    <head>
    <meta charset="utf-8">
    <title>电子监察 · Supervision</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
      body { font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; margin: 1.5rem; color: #1d2733; background: #f5f7fa; }
      h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
      h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
      .meta { color: #5b6775; font-size: .85rem; }
      table { border-collapse: collapse; background: #fff; min-width: 60%; }
      th, td { border: 1px solid #d5dbe3; padding: .35rem .6rem; text-align: left; font-size: .9rem; }
      th { background: #e9eef5; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      .light { display: inline-block; min-width: 2.2rem; padding: .1rem .4rem; border-radius: .8rem; color: #fff; text-align: center; font-weight: bold; }
      .green { background: #2e9d4f; } .yellow { background: #d9a400; } .red { background: #d2362f; } .legal { background: #6b1e1b; }
      #login { display: none; margin: 1rem 0; } #error { color: #d2362f; }
    </style>
    </head>
    <body>
    <h1>电子监察 · 政务服务监督</h1>
    <div class="meta">Supervision dashboard · <span id="period"></span> · updated <span id="updated">—</span></div>
    <form id="login"><label>Supervisor token <input id="token" type="password" size="60"></label> <button>Show</button></form>
    <p id="error"></p>
    <h2>各部门亮灯 · Lights by department (open tasks)</h2>
    <table id="lights"><thead><tr><th>部门 Department</th><th>办理中 Open</th><th>绿灯</th><th>黄灯</th><th>红灯</th><th>超法定时限</th><th>补正中 Suspended</th></tr></thead><tbody></tbody></table>
    <h2>逾期清单 · Overdue</h2>
    <table id="overdue"><thead><tr><th>案件 Case</th><th>事项 Matter</th><th>部门 Department</th><th>承诺期限 Promised by</th><th>法定期限 Legal by</th><th>灯</th></tr></thead><tbody></tbody></table>
    <h2>整改逾期 · Overdue rectifications</h2>
    <table id="rectifications"><thead><tr><th>案件 Case</th><th>部门 Department</th><th>评价 Rating</th><th>整改期限 Due</th></tr></thead><tbody></tbody></table>
    <h2>评价与时效 · Rates</h2>
    <table id="rates"><thead><tr><th>部门 Department</th><th>办结件 Completed</th><th>好评率</th><th>主动评价率</th><th>按时办结率</th><th>承诺/法定时限</th><th>整改率</th><th>绿/黄/红</th></tr></thead><tbody></tbody></table>
    <script>
    (function () {
      const fragment = new URLSearchParams(location.hash.slice(1));
      if (fragment.get("token")) { sessionStorage.setItem("tongban.supervisor.token", fragment.get("token")); history.replaceState(null, "", location.pathname + location.search); }
      const query = new URLSearchParams(location.search);
      const period = new URLSearchParams();
      for (const name of ["from", "to"]) { if (query.get(name)) period.set(name, query.get(name)); }
      const text = (value) => String(value ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
      const percent = (rate) => rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%";
      const when = (iso) => iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—";
      const light = (name, count) => `<span class="light ${name}">${count}</span>`;
      function fill(id, rows) { document.querySelector(`#${id} tbody`).innerHTML = rows.join(""); }
      function render(view) {
        document.getElementById("period").textContent = `${view.rates.from} – ${view.rates.to}`;
        document.getElementById("updated").textContent = when(view.generatedAt);
        fill("lights", view.departments.map((d) => `<tr data-department="${text(d.department)}"><td>${text(d.departmentName)}</td><td class="num">${d.open}</td><td>${light("green", d.green)}</td><td>${light("yellow", d.yellow)}</td><td>${light("red", d.red)}</td><td>${light("legal", d.legalOverdue)}</td><td class="num">${d.suspended}</td></tr>`));
        fill("overdue", view.overdue.map((t) => `<tr><td>${text(t.caseNumber)}</td><td>${text(t.matterName)}</td><td>${text(t.departmentName)}</td><td>${when(t.promisedDeadline)}</td><td>${when(t.legalDeadline)}</td><td>${t.pastLegalLimit ? light("legal", "超法定") : light("red", "红灯")}</td></tr>`));
        fill("rectifications", view.overdueRectifications.map((r) => `<tr><td>${text(r.caseNumber)}</td><td>${text(r.departmentName)}</td><td>${text(r.ratingLevelName)}</td><td>${text(r.dueDay)}</td></tr>`));
        const rows = view.rates.rows.concat([view.rates.total]);
        fill("rates", rows.map((r) => `<tr data-rates="${text(r.key)}"><td>${text(r.name)}</td><td class="num">${r.completedCases}</td><td class="num">${percent(r.positiveRatingRate)}</td><td class="num">${percent(r.activeRatingRate)}</td><td class="num">${percent(r.onTimeCompletionRate)}</td><td class="num">${percent(r.promisedShareOfLegalLimit)}</td><td class="num">${percent(r.rectificationRate)}</td><td>${light("green", r.lights.green)} ${light("yellow", r.lights.yellow)} ${light("red", r.lights.red)}</td></tr>`));
      }
      async function refresh() {
        const token = sessionStorage.getItem("tongban.supervisor.token");
        if (!token) { document.getElementById("login").style.display = "block"; return; }
        try {
          const response = await fetch("/supervision/overview?" + period, { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
          if (response.status === 401 || response.status === 403) {
            sessionStorage.removeItem("tongban.supervisor.token");
            document.getElementById("error").textContent = "This page needs a supervisor's token.";
            document.getElementById("login").style.display = "block";
            return;
          }
          const body = await response.json();
          if (!response.ok) throw new Error(body.detail || response.statusText);
          document.getElementById("error").textContent = "";
          render(body);
        } catch (error) {
          document.getElementById("error").textContent = "Could not read the overview: " + error.message;
        }
      }
      document.getElementById("login").addEventListener("submit", (event) => {
        event.preventDefault();
        sessionStorage.setItem("tongban.supervisor.token", document.getElementById("token").value.trim());
        document.getElementById("login").style.display = "none";
        refresh();
      });
      refresh();
      setInterval(refresh, \(refreshMilliseconds));
    })();
    </script>
    </body>
    </html>
    """
}
