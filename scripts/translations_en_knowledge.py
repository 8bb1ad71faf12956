"""English for the knowledge base pages (Swedish source text → English)."""
# ruff: noqa: E501

EN = {
    "%(n)s dokument läses in …": "%(n)s documents being read …",
    "Assistent eller samling": "Assistant or collection",
    "Assistenter": "Assistants",
    "Beskrivning": "Description",
    "Betyg": "Rating",
    "Bra svar": "Good answer",
    "Chattleverantör (tomt: standard)": "Chat provider (empty: default)",
    "Citerat stycke": "Cited passage",
    "Datum": "Date",
    "Dela (bara läsning)": "Share (read only)",
    "Dela med annan organisation": "Share with another organisation",
    "Delad av %(org)s, bara läsning": "Shared by %(org)s, read only",
    "Delad med:": "Shared with:",
    "Din fråga": "Your question",
    "Dokument": "Documents",
    "Dokument i samlingen": "Documents in the collection",
    "Dokumentet har inga sökbara stycken.": "The document has no searchable passages.",
    "Dra och släpp filer här, eller välj filer.": "Drag and drop files here, or choose files.",
    "Dåligt svar": "Bad answer",
    "Fel eller varning": "Error or warning",
    "Filer (PDF, DOCX, HTML, Markdown eller text, högst %(mb)s MB)": (
        "Files (PDF, DOCX, HTML, Markdown or text, at most %(mb)s MB)"
    ),
    "Fråga": "Ask",
    "Fråga %(name)s": "Ask %(name)s",
    "Fråga assistenterna och sök i organisationens styrdokument och rutiner, med källor.": (
        "Ask the assistants and search the organisation's steering documents and routines, with sources."
    ),
    "Fråga samlingen %(name)s": "Ask the collection %(name)s",
    "Frågor att följa upp, nyaste först": "Questions to follow up, newest first",
    "Frågor som assistenterna inte kunde besvara ur dokumenten, eller som fick tumme ned. Lägg till eller rätta "
    "dokument för att täppa till luckorna.": (
        "Questions the assistants could not answer from the documents, or that got thumbs down. Add or correct "
        "documents to close the gaps."
    ),
    "Hantera assistenter": "Manage assistants",
    "Högst antal sidor": "Maximum number of pages",
    "Inga assistenter ännu.": "No assistants yet.",
    "Inga assistenter är öppna för dig ännu.": "No assistants are open to you yet.",
    "Inga dokument ännu.": "No documents yet.",
    "Inga frågor att följa upp.": "No questions to follow up.",
    "Inga samlingar ännu.": "No collections yet.",
    "Instruktioner": "Instructions",
    "Kommentar": "Comment",
    "Kommentar om svaret (frivilligt)": "Comment on the answer (optional)",
    "Kortnamn": "Short name",
    "Kortnamn (a–z, siffror, bindestreck)": "Short name (a–z, digits, hyphen)",
    "Kunskapsbank": "Knowledge base",
    "Källa": "Source",
    "Källor": "Sources",
    "Ladda upp": "Upload",
    "Ladda upp dokument": "Upload documents",
    "Ny assistent": "New assistant",
    "Ny samling": "New collection",
    "Obesvarad": "Unanswered",
    "Obesvarade och lågt betygsatta frågor": "Unanswered and low-rated questions",
    "Organisationens assistenter": "The organisation's assistants",
    "Organisationens kortnamn": "The organisation's short name",
    "Samla in igen (bara ändrade sidor)": "Crawl again (changed pages only)",
    "Samling": "Collection",
    "Samlingar": "Collections",
    "Samlingar du kan söka i": "Collections you can search",
    "Sidan %(page)s": "Page %(page)s",
    "Sidor": "Pages",
    "Skapa en samling först.": "Create a collection first.",
    "Skapa samling": "Create collection",
    "Spara assistent": "Save assistant",
    "Start-URL:er eller webbkartor (en per rad)": "Start URLs or sitemaps (one per line)",
    "Starta webbinsamling": "Start web crawl",
    "Storlek": "Size",
    "Stycke %(n)s": "Passage %(n)s",
    "Stycken": "Passages",
    "Ställ en fråga till samlingen": "Ask the collection a question",
    "Ställ frågor om organisationens styrdokument och rutiner. Svaren har numrerade källor som du kan öppna; när "
    "dokumenten inte ger stöd säger assistenten det.": (
        "Ask about the organisation's steering documents and routines. Answers have numbered sources you can open; "
        "when the documents give no support, the assistant says so."
    ),
    "Största djup": "Maximum depth",
    "Svar": "Answer",
    "Svaren bygger bara på dokumenten och är ett stöd, inte ett beslut. Kontrollera källorna.": (
        "Answers are based only on the documents and are support, not a decision. Check the sources."
    ),
    "Söker i dokumenten …": "Searching the documents …",
    "Ta bort": "Delete",
    "Ta bort %(name)s": "Delete %(name)s",
    "Tack för din kommentar.": "Thank you for your comment.",
    "Tack! Du gav tumme ned; en redaktör ser frågan.": "Thank you! You gave thumbs down; an editor will see it.",
    "Tack! Du gav tumme upp.": "Thank you! You gave thumbs up.",
    "Tillåtna domäner (tomt: start-URL:ernas)": "Allowed domains (empty: those of the start URLs)",
    "Tumme ned": "Thumbs down",
    "Tumme upp": "Thumbs up",
    "Varje assistent förs in i AI-registret. Bara de valda rollerna kan använda den.": (
        "Every assistant is entered in the AI register. Only the chosen roles can use it."
    ),
    "Vilka roller får använda assistenten? (inget val: alla)": "Which roles may use the assistant? (none: everyone)",
    "Vilka roller får använda samlingen? (inget val: alla i organisationen)": (
        "Which roles may use the collection? (none: everyone in the organisation)"
    ),
    "Webbinsamling": "Web crawl",
    "alla": "everyone",
    "delad med oss": "shared with us",
    "inte körd ännu": "not run yet",
    "senast %(when)s: %(changed)s ändrade, %(unchanged)s oförändrade sidor": (
        "last %(when)s: %(changed)s changed, %(unchanged)s unchanged pages"
    ),
    "Ändra": "Edit",
    "Ändra %(name)s": "Edit %(name)s",
    # shown through _(variable)
    "I kö": "Queued",
    "Sökbar": "Searchable",
    "Misslyckades": "Failed",
    "Svaret kunde inte hämtas. Försök igen.": "The answer could not be fetched. Please try again.",
    "Åtkomst": "Access",
    "Alla i organisationen kan använda samlingen.": "Everyone in the organisation can use the collection.",
    "Samlingen kan användas av:": "The collection can be used by:",
    "rollerna": "the roles",
    "enheterna": "the units",
    "användarna": "the users",
    "Administratörer och den som skapade samlingen har alltid åtkomst.": "Administrators and whoever created the collection always have access.",
    "Roller": "Roles",
    "Enheter": "Units",
    "Organisationen har inga enheter ännu.": "The organisation has no units yet.",
    "Enskilda användare (håll Ctrl för att välja flera)": "Individual users (hold Ctrl to choose several)",
    "Den som har någon av de valda rollerna, tillhör någon av enheterna eller är vald som användare får använda samlingen. Väljer du inget får alla i organisationen använda den.": "Anyone who has one of the chosen roles, belongs to one of the units or is chosen as a user may use the collection. If you choose nothing, everyone in the organisation may use it.",
    "Spara åtkomst": "Save access",
    "Öppna PDF:en": "Open the PDF",
    "Ladda ned originalet": "Download the original",
    "Öppna PDF:en på sidan %(page)s": "Open the PDF at page %(page)s",
    "Bläddra bland sidorna": "Browse the pages",
    "Det citerade stycket finns på sidan %(page)s.": "The cited passage is on page %(page)s.",
    "Det citerade stycket kunde inte hittas på sidan, så sidan visas utan markering. Stycket finns som text nedan.": (
        "The cited passage could not be found on the page, so the page is shown without marking. The passage is "
        "shown as text below."
    ),
    "Det citerade stycket är markerat på sidan.": "The cited passage is marked on the page.",
    "Föregående sida": "Previous page",
    "Läs stycket som text": "Read the passage as text",
    "Nästa sida": "Next page",
    "PDF-filen är lösenordsskyddad och kan inte visas som bild. Texten finns nedan.": (
        "The PDF is password protected and cannot be shown as an image. The text is below."
    ),
    "PDF-filen är skadad eller saknas och kan inte visas som bild. Texten finns nedan.": (
        "The PDF is damaged or missing and cannot be shown as an image. The text is below."
    ),
    "Sidan %(page)s av %(pages)s": "Page %(page)s of %(pages)s",
    "Sidan %(page)s av %(pages)s i %(name)s, med det citerade stycket markerat. Texten finns under bilden.": (
        "Page %(page)s of %(pages)s of %(name)s, with the cited passage marked. The text is below the image."
    ),
    "Sidan %(page)s av %(pages)s i %(name)s. Texten finns under bilden.": (
        "Page %(page)s of %(pages)s of %(name)s. The text is below the image."
    ),
    "Sidan %(page)s finns inte: dokumentet har %(pages)s sidor.": (
        "Page %(page)s does not exist: the document has %(pages)s pages."
    ),
    "Sidan som bild": "The page as an image",
    "Visa sidan %(page)s": "Show page %(page)s",
    "Visa sidan %(page)s med stycket markerat": "Show page %(page)s with the passage marked",
}
