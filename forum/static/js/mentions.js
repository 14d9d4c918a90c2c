/* Suggest members while "@" is typed in a post's text: progressive enhancement of a
   <textarea data-mentions="/members/suggest">. Without this script the textarea is an
   ordinary one and "@handle" still mentions. The words shown come from the textarea's
   data-mentions-* attributes, translated on the server.

   Keyboard: Up and Down move through the suggestions, Enter or Tab chooses one, Escape
   closes the list. The textarea keeps the focus throughout (aria-activedescendant). */
(function () {
  "use strict";

  // "@" at the start or after a character that cannot end a word, e.g. not in "a@b.org".
  var TYPED = /(^|[^\w@\/])@([A-Za-z0-9][A-Za-z0-9._-]{0,39})$/;
  var DELAY_MS = 150;
  var counter = 0;

  function enhance(area) {
    if (area.dataset.mentionsReady) return;
    area.dataset.mentionsReady = "1";
    counter += 1;
    var listId = "mention-suggestions-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", area.dataset.mentionsLabel || "");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    area.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("aria-controls", listId);

    var members = [];
    var active = -1;
    var timer = null;
    var wanted = "";

    function typedWord() {
      if (area.selectionStart !== area.selectionEnd) return null;
      var match = TYPED.exec(area.value.slice(0, area.selectionStart));
      return match ? match[2] : null;
    }

    function close() {
      members = [];
      active = -1;
      list.hidden = true;
      list.replaceChildren();
      area.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (item, i) {
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        area.setAttribute("aria-activedescendant", listId + "-" + index);
        list.children[index].scrollIntoView({ block: "nearest" });
      } else {
        area.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var member = members[index];
      var word = typedWord();
      if (!member || word === null) return close();
      var caret = area.selectionStart;
      var start = caret - word.length - 1;
      var insert = "@" + member.handle + " ";
      area.value = area.value.slice(0, start) + insert + area.value.slice(caret);
      area.selectionStart = area.selectionEnd = start + insert.length;
      close();
      status.textContent = "";
    }

    function show(found) {
      members = found;
      list.replaceChildren();
      if (!found.length) {
        list.hidden = true;
        status.textContent = area.dataset.mentionsNone || "";
        return;
      }
      found.forEach(function (member, i) {
        var item = document.createElement("li");
        item.id = listId + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "mention-name";
        name.textContent = member.name;
        var handle = document.createElement("span");
        handle.className = "mention-handle";
        handle.textContent = " @" + member.handle;
        item.append(name, handle);
        if (member.partnership) {
          var where = document.createElement("span");
          where.className = "meta";
          where.textContent = " · " + member.partnership;
          item.append(where);
        }
        // mousedown, not click: the textarea keeps the focus and its caret.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.append(item);
      });
      list.hidden = false;
      highlight(0);
      status.textContent = area.dataset.mentionsFound || "";
    }

    function ask(word) {
      wanted = word;
      var url = area.dataset.mentions + "?q=" + encodeURIComponent(word);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (found) {
          // Only the answer for what is still being typed is shown.
          if (wanted === word && typedWord() === word) show(found);
        })
        .catch(close);
    }

    area.addEventListener("input", function () {
      var word = typedWord();
      clearTimeout(timer);
      if (word === null) return close();
      timer = setTimeout(function () { ask(word); }, DELAY_MS);
    });

    area.addEventListener("keydown", function (event) {
      if (list.hidden || !members.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % members.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + members.length) % members.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });

    area.addEventListener("blur", close);
  }

  // Delegated, so that textareas htmx brings in later are enhanced too.
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target instanceof HTMLTextAreaElement && target.dataset.mentions) enhance(target);
  });
})();
