// The hall TV: follows the relay's event stream, shows each call large with a flash,
// and speaks it through the relay's voice, queued so that no announcement is cut off.
// Options in the address: ?services=A,B&windows=1-8,12&voice=0&recent=8
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  const onlyServices = (params.get("services") || "").split(",").map(s => s.trim().toUpperCase()).filter(Boolean);
  const onlyWindows = parseWindows(params.get("windows") || "");
  const voiceWanted = params.get("voice") !== "0";
  const recentCount = Math.max(1, Math.min(20, parseInt(params.get("recent") || "8", 10) || 8));
  const WATCHDOG_MS = 4000;    // no tick for this long: the relay is gone, say so and reconnect
  const STALE_CALL_MS = 60000; // a call not spoken within a minute is no longer announced

  const $ = id => document.getElementById(id);
  const state = { recent: [], waiting: {}, names: {}, mergeAtMost: 4, voiceAvailable: false, lastTick: Date.now() };
  // What the page did, for the hall's IT staff (console) and the browser tests.
  const tv = window.tv = { loadedAt: Date.now(), shown: [], spoken: [], banner: [], source: null };

  function parseWindows(text) {
    const out = new Set();
    for (const part of text.split(",")) {
      const m = part.trim().match(/^(\d+)(?:-(\d+))?$/);
      if (!m) continue;
      const a = parseInt(m[1], 10), b = parseInt(m[2] || m[1], 10);
      for (let n = Math.min(a, b); n <= Math.max(a, b) && n - a < 1000; n++) out.add(n);
    }
    return out;
  }
  function wanted(call) {
    return (!onlyServices.length || onlyServices.includes((call.service || "").toUpperCase())) &&
           (!onlyWindows.size || onlyWindows.has(call.window));
  }

  // -- showing --
  function fitTicket() {
    const el = $("ticket"), box = $("now");
    el.style.fontSize = "";
    const room = box.clientWidth * 0.94;
    if (el.scrollWidth > room) {
      const size = parseFloat(getComputedStyle(el).fontSize) * room / el.scrollWidth;
      el.style.fontSize = size + "px";
    }
  }
  function showLatest(call, flash) {
    $("ticket").textContent = call ? call.ticket : "----";
    $("window").textContent = call ? String(call.window) : "-";
    fitTicket();
    if (flash) {
      const now = $("now");
      now.classList.remove("flash");
      void now.offsetWidth;  // restart the animation for a call right after another
      now.classList.add("flash");
    }
  }
  function showRecent() {
    const list = $("recent");
    list.replaceChildren(...state.recent.slice(0, recentCount).map(call => {
      const li = document.createElement("li");
      const t = document.createElement("span");
      t.className = "t";
      t.textContent = call.ticket;
      const w = document.createElement("span");
      w.textContent = call.window + " 号窗口";
      if (call.kind === "recalled") {
        const again = document.createElement("span");
        again.className = "again";
        again.textContent = "（重呼）";
        w.appendChild(again);
      }
      li.append(t, w);
      return li;
    }));
  }
  function showWaiting() {
    const spans = Object.entries(state.waiting)
      .filter(([code]) => !onlyServices.length || onlyServices.includes(code.toUpperCase()))
      .map(([code, count]) => {
        const span = document.createElement("span");
        span.textContent = (state.names[code] || code) + " 等候 " + count + " 人";
        return span;
      });
    const footer = $("waiting");
    footer.replaceChildren(...spans);
    footer.style.fontSize = "";
    const room = footer.parentElement.clientWidth * 0.8;
    const size = parseFloat(getComputedStyle(footer).fontSize);
    if (footer.scrollWidth > room) {  // every service on one line, down to two-thirds of the size
      footer.style.fontSize = Math.max(size * 2 / 3, size * room / footer.scrollWidth) + "px";
    }
  }
  function showStatus(status) {
    if (status.hall) $("hall").textContent = status.hall;
    if (status.service_names) state.names = status.service_names;
    if (status.waiting) { state.waiting = status.waiting; showWaiting(); }
    if (status.online) {
      setProblem("");
      setBanner("");
    } else if (!status.connected_once) {
      setProblem((status.problem || "正在连接中心平台……") + (status.advice ? "\n" + status.advice : ""));
    } else {
      setBanner("正在重新连接中心平台……" + (status.problem ? "（" + status.problem + "）" : ""));
    }
  }
  function setBanner(text) {
    const el = $("banner");
    if ((el.hidden ? "" : el.textContent) === text) return;
    el.textContent = text;
    el.hidden = !text;
    tv.banner.push({ at: Date.now(), text: text });
  }
  function setProblem(text) {
    $("problem-text").textContent = text;
    $("problem").hidden = !text;
  }

  // -- speaking: one announcement at a time, calls waiting behind it merged into the next --
  const voiceQueue = [];
  let speaking = false;
  function enqueueVoice(call) {
    if (!voiceWanted || !state.voiceAvailable) return;
    voiceQueue.push({ ticket: call.ticket, window: call.window, at: Date.now() });
    pump();
  }
  function pump() {
    if (speaking) return;
    while (voiceQueue.length && Date.now() - voiceQueue[0].at > STALE_CALL_MS) voiceQueue.shift();
    if (!voiceQueue.length) return;
    const batch = voiceQueue.splice(0, state.mergeAtMost);
    const url = "voice.wav?" + batch.map(c => "c=" + encodeURIComponent(c.ticket + "-" + c.window)).join("&");
    const record = { calls: batch.map(c => c.ticket + "-" + c.window), calledAt: batch.map(c => c.at),
                     requested: Date.now(), started: null, ended: null, error: "", attempts: 0 };
    tv.spoken.push(record);
    speaking = true;
    const done = error => {
      if (record.ended) return;
      record.ended = Date.now();
      record.error = error || "";
      speaking = false;
      pump();
    };
    // The whole WAV is fetched before it plays, so a relay restart cannot cut a sentence off;
    // a failed fetch is tried again until the calls are a minute old.
    const attempt = () => {
      record.attempts += 1;
      fetch(url, { cache: "no-store" }).then(response => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.blob();
      }).then(blob => {
        const audio = new Audio(URL.createObjectURL(blob));
        audio.addEventListener("playing", () => { record.started = record.started || Date.now(); });
        audio.addEventListener("ended", () => { URL.revokeObjectURL(audio.src); done(""); });
        audio.addEventListener("error", () => done("语音无法播放"));
        return audio.play().catch(err => {
          if (err && err.name === "NotAllowedError") {
            // The browser wants a touch before sound (start Chromium with --autoplay-policy=no-user-gesture-required).
            voiceQueue.unshift(...batch);
            tv.spoken.pop();
            speaking = false;
            $("tap").hidden = false;
          } else {
            done(String(err));
          }
        });
      }).catch(err => {
        if (Date.now() - batch[0].at < STALE_CALL_MS) {
          setTimeout(attempt, 1000);
        } else {
          done("语音获取失败：" + err);
        }
      });
    };
    attempt();
  }
  document.addEventListener("click", () => { $("tap").hidden = true; pump(); });

  // -- following the relay --
  function connect() {
    if (tv.source) tv.source.close();
    const source = tv.source = new EventSource("events" + (lastId ? "?after=" + lastId : ""));
    source.addEventListener("snapshot", e => {
      const snap = JSON.parse(e.data);
      if (e.lastEventId) lastId = Math.max(lastId, parseInt(e.lastEventId, 10) || 0);
      state.mergeAtMost = snap.merge_at_most || 4;
      state.voiceAvailable = !!(snap.voice && snap.voice.available);
      $("voice-note").textContent = !voiceWanted ? "本屏不播报" :
        (state.voiceAvailable ? "" : "语音不可用：" + (snap.voice && snap.voice.problem || "未配置"));
      state.recent = snap.recent.filter(wanted);
      if (!tv.shown.length || state.recent.length) showLatest(state.recent[0], false);
      showRecent();
      showStatus(snap);
      state.lastTick = Date.now();
    });
    source.addEventListener("call", e => {
      const call = JSON.parse(e.data);
      lastId = Math.max(lastId, call.id);
      if (!wanted(call)) return;
      tv.shown.push({ id: call.id, ticket: call.ticket, window: call.window, at: Date.now() });
      state.recent.unshift(call);
      state.recent.length = Math.min(state.recent.length, 50);
      showLatest(call, true);
      showRecent();
      enqueueVoice(call);
    });
    source.addEventListener("status", e => showStatus(JSON.parse(e.data)));
    source.addEventListener("tick", e => {
      const tick = JSON.parse(e.data);
      $("time").textContent = tick.time;
      $("date").textContent = tick.date;
      state.lastTick = Date.now();
    });
    source.onerror = () => {
      if (!$("problem").hidden) return;
      setBanner("与叫号显示服务的连接中断，正在重连……");
    };
  }
  let lastId = 0;
  setInterval(() => {
    if (Date.now() - state.lastTick > WATCHDOG_MS) {
      setBanner("与叫号显示服务的连接中断，正在重连……");
      state.lastTick = Date.now();
      connect();  // a silent connection: start over, resuming after the last call seen
    }
  }, 1000);
  window.addEventListener("resize", fitTicket);
  connect();
})();
