// Ops and crew page: polls the API with the token from the URL fragment (#token=...) or the form.
// Charts: uPlot served from /static/vendor (installed from npm by scripts/setup.sh). Map: a plain canvas, no tiles.
const params = new URLSearchParams(location.hash.slice(1));
if (params.get("token")) localStorage.setItem("fleetToken", params.get("token"));
let token = localStorage.getItem("fleetToken") || "";
let me = null, currentVehicle = null, mapPoints = [];
const $ = (id) => document.getElementById(id);
$("token").value = token;
$("tokenform").onsubmit = (e) => {
  e.preventDefault(); token = $("token").value.trim();
  localStorage.setItem("fleetToken", token); me = null; refresh();
};

async function api(path, body) {
  const init = { headers: { Authorization: "Bearer " + token } };
  if (body !== undefined) {
    init.method = "POST"; init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  if (!r.ok) {
    const detail = await r.json().catch(() => ({ detail: r.statusText }));
    throw new Error(path + ": " + r.status + " " + JSON.stringify(detail.detail));
  }
  return r.json();
}
const el = (tag, attrs = {}, ...kids) => {
  const n = document.createElement(tag); Object.assign(n, attrs);
  for (const k of kids) n.append(k); return n;
};
const when = (t) => t ? new Date(t).toLocaleString() : "";
const healthColour = (h) => h >= 80 ? "#2e7d32" : h >= 50 ? "#ef6c00" : "#c62828";
const card = (value, label) => el("div", { className: "card" }, el("b", {}, String(value)), label);

async function refresh() {
  try {
    if (!me) {
      me = await api("/api/v1/me");
      $("whoami").textContent = me.role + (me.crew ? " · crew " + me.crew : "") + (me.zone ? " · zone " + me.zone : "");
    }
    const tasks = [refreshTickets(), refreshMap()];
    if (me.role !== "crew") tasks.push(refreshSummary(), refreshDeadletters());
    if (me.role === "crew") tasks.push(refreshJobs());
    if (currentVehicle) tasks.push(showVehicle(currentVehicle, false));
    await Promise.all(tasks);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    $("updated").className = "";
  } catch (err) {
    $("updated").textContent = String(err.message || err);
    $("updated").className = "error";
  }
}

async function refreshSummary() {
  const s = await api("/api/v1/fleet/summary");
  $("summary").replaceChildren(card(s.vehicles, "vehicles"), card(s.in_service, "in service"),
    card(s.disabled, "disabled"),
    ...Object.entries(s.live_tickets_by_severity).map(([k, n]) => card(n, k + " tickets")),
    ...Object.entries(s.health_distribution).map(([k, n]) => card(n, "health " + k)));
}

async function refreshTickets() {
  const q = new URLSearchParams({ limit: "500" });
  for (const [id, key] of [["f-status", "status"], ["f-severity", "severity"], ["f-zone", "zone"],
                           ["f-code", "fault_code"], ["f-vehicle", "vehicle_id"]]) {
    const v = $(id).value.trim(); if (v) q.set(key, v);
  }
  const tickets = await api("/api/v1/tickets?" + q);
  const body = document.querySelector("#tickets tbody"); body.replaceChildren();
  for (const t of tickets.data) {
    const tr = el("tr", { className: "clickable ticket-row" },
      el("td", {}, String(t.id)), el("td", {}, t.vehicle_id), el("td", {}, t.fault_code),
      el("td", {}, el("span", { className: "sev-" + t.severity }, t.severity)), el("td", {}, t.status),
      el("td", {}, t.assigned_crew || ""), el("td", {}, t.zone || ""), el("td", {}, when(t.opened_at)),
      el("td", {}, when(t.due_by)), el("td", {}, el("code", {}, JSON.stringify(t.evidence))), el("td", {}, ...actions(t)));
    tr.onclick = () => showVehicle(t.vehicle_id, true);
    body.append(tr);
  }
}

function actions(t) {
  const button = (label, fn) => {
    const b = el("button", { className: "act", textContent: label });
    b.onclick = async (e) => { e.stopPropagation(); try { await fn(); await refresh(); } catch (err) { alert(err.message); } };
    return b;
  };
  const out = [];
  if (me.role === "crew") {
    if (t.status === "open" || (t.status === "assigned" && t.assigned_crew === me.crew))
      out.push(button(t.assigned_crew ? "start" : "take & start", () => api(`/api/v1/tickets/${t.id}/start`, {})));
    if (t.status === "in_progress" && t.assigned_crew === me.crew) out.push(button("resolve…", () => resolveDialog(t)));
  } else if (me.role === "ops") {
    if (["open", "assigned"].includes(t.status)) out.push(button("assign…", () => {
      const crew = prompt("assign ticket " + t.id + " to crew:"); return crew ? api(`/api/v1/tickets/${t.id}/assign`, { crew }) : null;
    }));
    if (["open", "assigned", "in_progress"].includes(t.status)) out.push(button("cancel…", () => {
      const reason = prompt("why cancel ticket " + t.id + "?"); return reason ? api(`/api/v1/tickets/${t.id}/cancel`, { reason }) : null;
    }));
  }
  return out;
}

function resolveDialog(t) {
  return new Promise((resolve, reject) => {
    const d = $("resolve-dialog"); $("r-id").textContent = "#" + t.id;
    d.onclose = async () => {
      if (d.returnValue !== "ok") return resolve();
      const parts = $("r-parts").value.split(",").map((p) => p.trim()).filter(Boolean);
      try {
        resolve(await api(`/api/v1/tickets/${t.id}/resolve`, { outcome: $("r-outcome").value, notes: $("r-notes").value, parts }));
      } catch (err) { reject(err); }
    };
    d.showModal();
  });
}

async function refreshJobs() {
  const q = new URLSearchParams();
  if (navigator.geolocation && window.crewPosition) { q.set("lat", crewPosition.lat); q.set("lon", crewPosition.lon); }
  const jobs = await api(`/api/v1/crews/${encodeURIComponent(me.crew)}/jobs?` + q);
  $("jobs-section").hidden = false;
  $("jobs-meta").textContent = `${jobs.jobs} job(s) in ${jobs.count} stop(s), zone ${jobs.zone || "all"}`;
  $("jobs").replaceChildren(...jobs.data.map((s) => el("li", {},
    (s.distance_m != null ? Math.round(s.distance_m) + " m · " : ""),
    ...s.jobs.map((j) => el("div", {}, el("span", { className: "sev-" + j.ticket.severity }, j.ticket.severity), " ",
      j.ticket.vehicle_id + " " + j.ticket.fault_code + " (" + j.ticket.status + ", due " + when(j.ticket.due_by) + ") ",
      ...actions(j.ticket))))));
}

async function refreshMap() {
  const vs = await api("/api/v1/vehicles?limit=1000");
  const canvas = $("map"), ctx = canvas.getContext("2d");
  const pts = vs.data.filter((v) => v.lat != null && v.lon != null);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  mapPoints = [];
  if (!pts.length) { ctx.fillText("no positions yet", 20, 20); return; }
  let [la0, la1, lo0, lo1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const v of pts) { la0 = Math.min(la0, v.lat); la1 = Math.max(la1, v.lat); lo0 = Math.min(lo0, v.lon); lo1 = Math.max(lo1, v.lon); }
  // Equirectangular: shrink longitude by cos(latitude) so distances look right.
  const k = Math.cos((la0 + la1) / 2 * Math.PI / 180), pad = 16;
  const spanX = Math.max((lo1 - lo0) * k, 1e-4), spanY = Math.max(la1 - la0, 1e-4);
  const scale = Math.min((canvas.width - 2 * pad) / spanX, (canvas.height - 2 * pad) / spanY);
  for (const v of pts.sort((a, b) => b.health - a.health)) {  // the sickest drawn last, on top
    const x = pad + (v.lon - lo0) * k * scale, y = canvas.height - pad - (v.lat - la0) * scale;
    ctx.beginPath(); ctx.arc(x, y, v.disabled ? 6 : 4, 0, 2 * Math.PI);
    ctx.fillStyle = healthColour(v.health); ctx.fill();
    mapPoints.push({ x, y, id: v.vehicle_id });
  }
}
$("map").onclick = (e) => {
  const r = e.target.getBoundingClientRect(), sx = e.target.width / r.width;
  const x = (e.clientX - r.left) * sx, y = (e.clientY - r.top) * sx;
  let best = null, bestD = 100;
  for (const p of mapPoints) { const d = (p.x - x) ** 2 + (p.y - y) ** 2; if (d < bestD) { best = p; bestD = d; } }
  if (best) showVehicle(best.id, true);
};

const CHARTS = { battery: ["soc_pct", "temp_c"], brakes: ["pad_front_mm", "pad_rear_mm"], tires: null, status: ["speed_kmh"] };
const COLOURS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a"];

function xRange(xs) {
  const lo = Math.min(...xs), hi = Math.max(...xs);
  return lo === hi ? [lo - 3600, hi + 3600] : [lo, hi];
}

async function showVehicle(id, scroll) {
  currentVehicle = id;
  const v = await api("/api/v1/vehicles/" + encodeURIComponent(id));
  $("vehicle").hidden = false;
  $("v-id").textContent = v.vehicle_id;
  $("v-meta").textContent = [v.type, v.model, v.zone].filter(Boolean).join(" · ");
  $("v-health").replaceChildren(el("b", { style: "color:" + healthColour(v.health) }, "health " + v.health + " / 100"),
    ", " + v.live_tickets.length + " live ticket(s): " + v.live_tickets.map((t) => t.fault_code).join(", "));
  $("v-latest").replaceChildren(...Object.entries(v.latest).map(([comp, r]) =>
    el("div", { className: "card" }, el("strong", {}, comp), el("pre", {}, r ? JSON.stringify(r, null, 1) : "no readings"))));
  const to = new Date(), from = new Date(to - 24 * 3600e3);
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), bucket: "10m" });
  const series = await Promise.all(Object.keys(CHARTS).map((c) =>
    api(`/api/v1/vehicles/${encodeURIComponent(id)}/telemetry/${c}?` + q)));
  const box = $("charts"); box.replaceChildren();
  for (const s of series) {
    const fields = CHARTS[s.component] || s.fields;
    const holder = el("div", { className: "chart" }, el("h3", {}, s.component));
    box.append(holder);
    if (typeof uPlot === "undefined") { holder.append("chart library missing: run scripts/setup.sh"); continue; }
    if (!s.data.length) { holder.append("no readings in the last 24 h"); continue; }
    const data = [s.data.map((p) => Date.parse(p.ts) / 1000), ...fields.map((f) => s.data.map((p) => p.values[f]))];
    new uPlot({ width: 380, height: 180, series: [{}, ...fields.map((f, i) => ({ label: f, stroke: COLOURS[i % 4], width: 2 }))],
                // The data's own span; a lone reading gets an hour either side instead of uPlot's years.
                scales: { x: { time: true, range: xRange(data[0]) } },
                axes: [{}, {}], legend: { show: true } }, data, holder);
  }
  if (scroll) $("vehicle").scrollIntoView({ behavior: "smooth" });
}

async function refreshDeadletters() {
  const dl = await api("/api/v1/deadletters?limit=20");
  const dbody = document.querySelector("#deadletters tbody"); dbody.replaceChildren();
  for (const d of dl.data) dbody.append(el("tr", {}, el("td", {}, when(d.received_at)), el("td", {}, d.topic),
    el("td", {}, d.reason), el("td", {}, d.detail || "")));
}

for (const id of ["f-severity", "f-status", "f-zone", "f-code", "f-vehicle"]) $(id).onchange = refresh;
refresh(); setInterval(refresh, 5000);
