// 经纬度 helper: a QR code for the phone (polling until it reports), or this computer's own position.
(function () {
  var urls = window.LOCATION_URLS, lat = document.getElementById("latitude"), lng = document.getElementById("longitude");
  var status = document.getElementById("qr-status");
  if (!urls || !lat) return;

  function fill(a, b, source) {
    lat.value = Number(a).toFixed(6);
    lng.value = Number(b).toFixed(6);
    status.textContent = "已获取" + source + "的位置，请点击“确认保存”。";
  }

  document.getElementById("qr-button").addEventListener("click", function () {
    var box = document.getElementById("qr-box");
    box.hidden = false;
    status.textContent = "正在生成二维码…";
    fetch(urls.start, {method: "POST", headers: {"X-CSRFToken": urls.csrf}, credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (d) { return {ok: r.ok, data: d}; }); })
      .then(function (res) {
        if (!res.ok) { status.textContent = res.data.message || "生成二维码失败"; return; }
        document.getElementById("qr-code").innerHTML = res.data.svg;
        status.textContent = "请用手机微信扫描二维码，在手机上允许获取位置（10 分钟内有效）。";
        var tries = 0;
        var timer = setInterval(function () {
          if (++tries > 200) { clearInterval(timer); status.textContent = "二维码已过期，请重新生成。"; return; }
          fetch(urls.poll.replace("TOKEN", res.data.token), {credentials: "same-origin"})
            .then(function (r) { return r.json(); })
            .then(function (d) { if (d.received) { clearInterval(timer); fill(d.latitude, d.longitude, "手机"); } });
        }, 3000);
      })
      .catch(function () { status.textContent = "网络错误，请重试"; });
  });

  document.getElementById("here-button").addEventListener("click", function () {
    document.getElementById("qr-box").hidden = false;
    if (!navigator.geolocation) { status.textContent = "此浏览器不能获取位置，请用手机扫码。"; return; }
    status.textContent = "正在获取本电脑的位置…";
    navigator.geolocation.getCurrentPosition(
      function (p) { fill(p.coords.latitude, p.coords.longitude, "本电脑"); },
      function () { status.textContent = "无法获取本电脑的位置（可能未授权或没有定位设备），请用手机扫码。"; },
      {timeout: 15000}
    );
  });
})();
