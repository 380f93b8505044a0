"""German words for the lexicon sentiment scorer (:mod:`listening_pipeline.lib.text.lexicon`).

Why: catalogs list German among the spoken languages, and without German words the fallback scorer
called every German complaint neutral ("Die Schuhe sind leider kaputt. Sehr enttäuschend." had no
word it knew), so the negative mention it carried was lost. Valences on VADER's -4..4 scale, written by hand
for posts about products and services; keys are folded when the lexicon is built (umlauts and ß are
folded like any accent, so write them naturally). Left out on purpose, because folded or in English they
are other words: "schön" ("schon", already), "Müll" ("mull"), "toll" ("death toll"). Where a German word
is spelled as an English or Spanish one, those keep their valence.
"""

from __future__ import annotations

GERMAN = {
    3.0: "liebe lieben liebt großartig grossartig fantastisch hervorragend perfekt perfekte wunderbar wundervoll "
    "ausgezeichnet traumhaft sensationell genial begeistert köstlich empfehlenswert",
    2.0: "gut gute guter gutes guten tolle toller tolles tollen klasse prima lecker empfehle empfehlen "
    "zufrieden bequem praktisch spitze danke freue froh glücklich gefällt gefallen mag lustig günstig schnell",
    1.0: "okay ordentlich nett interessant passt solide",
    -1.0: "leider teuer langweilig schade komisch seltsam langsam",
    -2.0: "schlecht schlechte schlechter schlechtes enttäuscht enttäuschend enttäuschung kaputt defekt hasse "
    "ärgerlich nervig mies doof blöd traurig wütend sauer abzocke betrug mangelhaft unbequem probleme reklamation",
    -3.0: "schrecklich furchtbar katastrophe katastrophal ekelhaft widerlich grauenhaft schlimmste scheiße",
}
NEGATORS = "nicht kein keine keinen keinem keiner keines nie niemals nichts ohne weder kaum".split()
BOOSTERS = "sehr total echt wirklich extrem ziemlich richtig besonders absolut völlig".split()
DAMPENERS = "etwas bisschen eher".split()
CONTRASTS = "aber jedoch sondern".split()
PHRASES = {("nie", "wieder"): -2.5, ("nicht", "zu", "empfehlen"): -2.5, ("geld", "wert"): 2.0}
