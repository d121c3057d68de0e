// Ops page: polls the API with the token from the URL fragment (#token=...) or the form.
const params = new URLSearchParams(location.hash.slice(1));
if (params.get("token")) localStorage.setItem("fleetToken", params.get("token"));
let token = localStorage.getItem("fleetToken") || "";
document.getElementById("token").value = token;
document.getElementById("tokenform").onsubmit = (e) => {
  e.preventDefault(); token = document.getElementById("token").value.trim();
  localStorage.setItem("fleetToken", token); refresh();
};

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + token } });
  if (!r.ok) throw new Error(path + ": " + r.status + " " + (await r.text()));
  return r.json();
}
const el = (tag, attrs = {}, ...kids) => {
  const n = document.createElement(tag); Object.assign(n, attrs);
  for (const k of kids) n.append(k); return n;
};
const when = (t) => t ? new Date(t).toLocaleString() : "";

async function refresh() {
  try {
    const q = new URLSearchParams({ status: "live", limit: "500" });
    for (const [id, key] of [["f-severity", "severity"], ["f-zone", "zone"], ["f-code", "fault_code"]]) {
      const v = document.getElementById(id).value.trim(); if (v) q.set(key, v);
    }
    const tickets = await api("/api/v1/tickets?" + q);
    const body = document.querySelector("#tickets tbody"); body.replaceChildren();
    const bySev = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const t of tickets.data) {
      bySev[t.severity]++;
      const tr = el("tr", { className: "clickable ticket-row" },
        el("td", {}, String(t.id)), el("td", {}, t.vehicle_id), el("td", {}, t.fault_code),
        el("td", {}, el("span", { className: "sev-" + t.severity }, t.severity)), el("td", {}, t.status),
        el("td", {}, t.zone || ""), el("td", {}, when(t.opened_at)), el("td", {}, when(t.due_by)),
        el("td", {}, el("code", {}, JSON.stringify(t.evidence))));
      tr.onclick = () => showVehicle(t.vehicle_id);
      body.append(tr);
    }
    const cards = document.getElementById("summary"); cards.replaceChildren(
      el("div", { className: "card" }, el("b", {}, String(tickets.count)), "live tickets"),
      ...Object.entries(bySev).map(([s, n]) => el("div", { className: "card" }, el("b", {}, String(n)), s)));
    const dl = await api("/api/v1/deadletters?limit=20");
    const dbody = document.querySelector("#deadletters tbody"); dbody.replaceChildren();
    for (const d of dl.data) dbody.append(el("tr", {}, el("td", {}, when(d.received_at)), el("td", {}, d.topic),
      el("td", {}, d.reason), el("td", {}, d.detail || "")));
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) {
    document.getElementById("updated").textContent = String(err.message || err);
  }
}

async function showVehicle(id) {
  const v = await api("/api/v1/vehicles/" + encodeURIComponent(id));
  document.getElementById("vehicle").hidden = false;
  document.getElementById("v-id").textContent = v.vehicle_id;
  document.getElementById("v-meta").textContent = [v.type, v.model, v.zone].filter(Boolean).join(" · ");
  document.getElementById("v-health").textContent = "health " + v.health + " / 100, " + v.live_tickets.length + " live ticket(s)";
  const box = document.getElementById("v-latest"); box.replaceChildren();
  for (const [comp, r] of Object.entries(v.latest)) {
    box.append(el("div", { className: "card" }, el("strong", {}, comp), el("pre", {}, r ? JSON.stringify(r, null, 1) : "no readings")));
  }
}

for (const id of ["f-severity", "f-zone", "f-code"]) document.getElementById(id).onchange = refresh;
refresh(); setInterval(refresh, 5000);
