// The screens' index: a tile per counter (station screen) and per cook, after sign-in.

import { api, chrome, h } from "./kp.js";

async function main() {
  chrome(document.createElement("span"));
  const [counters, staff] = await Promise.all([api("/api/v1/counters"), api("/api/v1/staff")]);
  document.getElementById("stations").replaceChildren(
    ...counters.counters.map((c) =>
      h("a.tile", { href: `/screens/station?counter=${encodeURIComponent(c.name)}` },
        c.name, h("small", {}, `capacity ${c.capacity}`))),
  );
  document.getElementById("cooks").replaceChildren(
    ...staff.staff.map((s) =>
      h("a.tile", { href: `/screens/station?cook=${encodeURIComponent(s.staff_id)}` },
        s.name, h("small", {}, s.skills.join(", ")))),
  );
}

main();
