/* Live counters on the ballot: how many projects, how much money, how many points or votes are
   used in each group, and a warning when a rule is broken. The server checks everything again;
   without this script the ballot works the same, the counters just stay hidden. */
(function () {
  "use strict";

  var lang = document.documentElement.lang || "cs";
  var numberFormat = window.Intl ? new Intl.NumberFormat(lang) : null;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function money(counter, amount) {
    var shown = numberFormat ? numberFormat.format(amount) : String(amount);
    // The server renders "0 Kč" / "CZK 0"; put the amount where the 0 is.
    return (counter.getAttribute("data-money") || "0").replace("0", shown);
  }

  function num(group, name) {
    return parseInt(group.getAttribute("data-" + name), 10) || 0;
  }

  function update(group) {
    var counter = group.querySelector("[data-counter]");
    if (!counter) { return; }
    var rule = group.getAttribute("data-rule");
    var text = counter.getAttribute("data-text");
    var over = null;
    var message;
    if (rule === "approval" || rule === "knapsack") {
      var boxes = group.querySelectorAll("input[type=checkbox]");
      var n = 0, total = 0;
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].checked) {
          n += 1;
          total += parseInt(boxes[i].getAttribute("data-cost"), 10) || 0;
        }
      }
      if (rule === "approval") {
        var max = num(group, "max");
        message = fill(text, { n: n, max: max });
        if (max && n > max) { over = fill(counter.getAttribute("data-over-text"), { excess: n - max }); }
      } else {
        var budget = num(group, "budget");
        message = fill(text, { total: money(counter, total), budget: money(counter, budget) });
        if (total > budget) {
          over = fill(counter.getAttribute("data-over-text"), { excess: money(counter, total - budget) });
        }
      }
    } else if (rule === "cumulative") {
      var inputs = group.querySelectorAll("input[type=number]");
      var points = 0, tooMuchOnOne = false, per = num(group, "per");
      for (var j = 0; j < inputs.length; j++) {
        var value = parseInt(inputs[j].value, 10) || 0;
        if (value > 0) { points += value; }
        if (per && value > per) { tooMuchOnOne = true; }
      }
      var limit = num(group, "points");
      message = fill(text, { n: points, max: limit });
      if (points > limit) { over = fill(counter.getAttribute("data-over-text"), { excess: points - limit }); }
      else if (tooMuchOnOne) { over = fill(counter.getAttribute("data-per-text"), { per: per }); }
    } else if (rule === "ranked") {
      var selects = group.querySelectorAll("select");
      var ranked = 0, seen = {}, twice = false;
      for (var r = 0; r < selects.length; r++) {
        var rank = selects[r].value;
        if (rank) {
          ranked += 1;
          if (seen[rank]) { twice = true; }
          seen[rank] = true;
        }
      }
      var maxRanks = num(group, "ranks");
      message = fill(text, { n: ranked, max: maxRanks });
      if (ranked > maxRanks) { over = fill(counter.getAttribute("data-over-text"), { excess: ranked - maxRanks }); }
      else if (twice) { over = counter.getAttribute("data-twice-text"); }
    } else {
      var radios = group.querySelectorAll("input[type=radio]:checked");
      var plus = 0, minus = 0;
      for (var k = 0; k < radios.length; k++) {
        if (radios[k].value === "1") { plus += 1; }
        if (radios[k].value === "-1") { minus += 1; }
      }
      var maxPlus = num(group, "plus"), maxMinus = num(group, "minus"), after = num(group, "minus-after");
      message = fill(text, { plus: plus, maxplus: maxPlus, minus: minus, maxminus: maxMinus });
      if (plus > maxPlus || minus > maxMinus) { over = counter.getAttribute("data-over-text"); }
      else if (minus > 0 && plus < after) { over = fill(counter.getAttribute("data-early-text"), { k: after }); }
    }
    counter.textContent = over ? message + " " + over : message;
    counter.classList.toggle("is-over", Boolean(over));
    counter.hidden = false;
    updateTally(group, over ? message + " " + over : message, Boolean(over), rule);
  }

  // The summary box the server rendered beside the ballot: the same line as the group's counter,
  // and the projects marked so far, in the order they stand on the ballot.
  function updateTally(group, text, isOver, rule) {
    var box = document.querySelector('[data-tally-group="' + group.id + '"]');
    if (!box) { return; }
    var line = box.querySelector("[data-tally-line]");
    if (line) { line.textContent = text; }
    box.classList.toggle("is-over", isOver);
    var list = box.querySelector("[data-tally-chosen]");
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var items = group.querySelectorAll(".ballot-item");
    for (var i = 0; i < items.length; i++) {
      var title = items[i].querySelector(".ballot-title");
      var mark = null;
      if (rule === "approval" || rule === "knapsack") {
        var box2 = items[i].querySelector("input[type=checkbox]");
        if (box2 && box2.checked) { mark = ""; }
      } else if (rule === "cumulative") {
        var input = items[i].querySelector("input[type=number]");
        var value = input ? parseInt(input.value, 10) || 0 : 0;
        if (value > 0) { mark = value + "\u00d7"; }
      } else {
        var checked = items[i].querySelector("input[type=radio]:checked");
        if (checked && checked.value === "1") { mark = "+"; }
        if (checked && checked.value === "-1") { mark = "\u2212"; }
      }
      if (mark === null || !title) { continue; }
      var li = document.createElement("li");
      if (mark) {
        var span = document.createElement("span");
        span.className = "tally-mark";
        span.textContent = mark;
        li.appendChild(span);
      }
      li.appendChild(document.createTextNode(title.textContent));
      list.appendChild(li);
    }
  }

  var groups = document.querySelectorAll("fieldset.ballot-group[data-rule]");
  for (var g = 0; g < groups.length; g++) {
    (function (group) {
      group.addEventListener("change", function () { update(group); });
      group.addEventListener("input", function () { update(group); });
      update(group);
    })(groups[g]);
  }
})();
