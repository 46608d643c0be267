"""统计分析 → 常用统计 in a real browser (issue 16 "Done means"): inst_admin opens the page by the menu, picks 学历 ×
年龄段, sees the table and the stacked bars, clicks a bar (a mouse click on the canvas at the bar's pixel position)
and lands on the matching staff; the table's cell link drills down too; one dimension as a pie, saved as PNG.
Every network request of the session stays on 127.0.0.1 (ECharts is served from app/static).
Screenshots into /work/wt/shots16/a/."""
import os
from urllib.parse import urlsplit

import pytest

from app.services import seed
from tests.e2e.helpers import login, open_menu, shooter

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = os.environ.get("SHOTS_DIR") or ("/work/wt/shots16/a" if os.path.isdir("/work/wt") else None)

# The centre of the bar segment of the biggest cell, in page pixels: ECharts' own coordinate conversion
# (convertToPixel) of the stacked value's middle, plus the canvas position on the page.
BAR_POSITION = """() => {
  const chart = window.statsChart, opt = chart.getOption();
  const series = opt.series;
  let best = null;
  series[0].data.forEach((_, i) => series.forEach((s, j) => {
    const n = s.data[i].value;
    if (n && (!best || n > best.n)) best = {i, j, n};
  }));
  let below = 0;
  for (let k = 0; k < best.j; k++) below += series[k].data[best.i].value;
  const vertical = opt.xAxis[0].type === "category";
  const point = vertical ? [best.i, below + best.n / 2] : [below + best.n / 2, best.i];
  const [x, y] = chart.convertToPixel({gridIndex: 0}, point);
  const box = chart.getDom().getBoundingClientRect();
  return {x: box.left + x, y: box.top + y, row: (vertical ? opt.xAxis[0] : opt.yAxis[0]).data[best.i],
          col: series[best.j].name, n: best.n};
}"""


def _requests(context, base):
    seen = []
    context.on("request", lambda request: seen.append(request.url))
    return seen


def test_inst_admin_reads_education_by_age_and_drills_into_a_bar(app, db, live_server, browser, tmp_path):
    seed.seed_people(400)  # 江夏示例镇卫生院
    shot = shooter(tmp_path, SHOTS)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True)
    requests = _requests(context, live_server)
    page = context.new_page()
    login(page, live_server, "inst_admin")

    open_menu(page, "统计分析", "常用统计", "**/stats/**")
    page.locator("#stats-form").wait_for()
    page.locator("#rows").select_option(label="学历")
    page.locator("#cols").select_option(label="年龄段")
    page.locator("#stats-submit").click()
    page.wait_for_url("**cols=age_band**")
    page.locator("#stats-table").wait_for()
    assert page.locator("#stats-title").inner_text().startswith("按学历 × 年龄段统计")
    assert page.locator("#stats-total").inner_text() == "400"
    page.wait_for_function("window.statsChart && window.statsChart.getOption().series.length > 1")
    option_series = page.evaluate("window.statsChart.getOption().series.map(s => s.stack)")
    assert set(option_series) == {"total"}  # stacked bars, one series per 年龄段
    shot(page, "stats_education_by_age_stacked.png")

    # a mouse click on the biggest bar segment opens 人员信息管理 with that cell's staff
    target = page.evaluate(BAR_POSITION)
    page.mouse.click(target["x"], target["y"])
    page.wait_for_url("**/people/list/**")
    drill = page.locator("#stats-drill")
    drill.wait_for()
    text = drill.inner_text()
    assert f"学历为“{target['row']}”" in text and f"年龄段为“{target['col']}”" in text
    assert f"共 {target['n']} 人" in text
    shot(page, "stats_drill_people_list.png")

    # back on the statistic, the table's cell link drills down to the same people
    page.go_back()
    page.wait_for_url("**/stats/**")
    page.locator("#stats-table").wait_for()
    row = page.locator("#stats-table tbody tr", has=page.locator("th", has_text=target["row"]))
    col_index = page.locator("#stats-table thead th").all_inner_texts().index(target["col"])
    cell = row.locator("td").nth(col_index - 1).locator("a.stat-link")
    assert cell.inner_text() == str(target["n"])
    cell.click()
    page.wait_for_url("**/people/list/**")
    page.locator("#stats-drill").wait_for()
    assert f"共 {target['n']} 人" in page.locator("#stats-drill").inner_text()

    # one dimension: bars, then a pie; saved as PNG
    open_menu(page, "统计分析", "常用统计", "**/stats/**")
    page.locator("#stats-form").wait_for()
    page.locator("#rows").select_option(label="从事专业类别")
    page.locator("#cols").select_option(value="")
    page.locator("#stats-submit").click()
    page.wait_for_url("**rows=staff_category**")
    page.locator("#stats-table").wait_for()
    page.wait_for_function("window.statsChart && window.statsChart.getOption().series[0].type === 'bar'")
    shot(page, "stats_staff_category_bar.png")
    page.get_by_role("button", name="饼图").click()
    page.wait_for_function("window.statsChart.getOption().series[0].type === 'pie'")
    page.wait_for_timeout(1200)  # the pie's opening animation
    assert page.evaluate("!!window.statsChart.getOption().toolbox[0].feature.saveAsImage")
    shot(page, "stats_staff_category_pie.png")
    with page.expect_download() as download:
        page.get_by_role("button", name="保存图片").click()
    saved = tmp_path / "chart.png"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "按从事专业类别统计.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # printed: the chart and the table without menus, filters and buttons
    page.emulate_media(media="print")
    assert not page.locator("#stats-form").is_visible() and not page.locator("#stats-save").is_visible()
    assert page.locator("#stats-table").is_visible() and page.locator("#stats-chart canvas").is_visible()
    shot(page, "stats_print.png")
    page.emulate_media(media="screen")

    # every request of the session went to this server
    base = urlsplit(live_server)
    outside = [u for u in requests if not u.startswith(("data:", "blob:")) and urlsplit(u).netloc != base.netloc]
    assert outside == [] and any("vendor/echarts/echarts.min.js" in u for u in requests)
    assert base.hostname == "127.0.0.1"
    context.close()
