# English for the documentation-support (notes) pages; one message per line reads best.
# ruff: noqa: E501
EN = {
    "(en per rad)": "(one per line)",
    "Alla anteckningar": "All notes",
    "Ange talare": "Label speakers",
    "Anteckningar": "Notes",
    "Anteckningar, nyaste först": "Notes, newest first",
    "Avsnitt": "Sections",
    "Bara en granskare kan godkänna anteckningen.": "Only a reviewer can approve the note.",
    "Dataklass: känslig": "Data class: sensitive",
    "Din webbläsare kan inte spela upp ljudet.": "Your browser cannot play the audio.",
    "Dokumentationsstöd": "Documentation support",
    "Från inspelning eller transkription till granskat protokoll eller journalanteckning.": (
        "From a recording or transcript to reviewed minutes or a case note."
    ),
    "Du godkänner med ditt namn; godkännandet loggas och ljudet raderas.": (
        "You approve in your own name; the approval is logged and the audio is deleted."
    ),
    "Du kan också dra och släppa filen här. Största storlek: %(mb)s MB. Ljudet krypteras och raderas efter godkännande.": (
        "You can also drag and drop the file here. Largest size: %(mb)s MB. The audio is encrypted and deleted "
        "after approval."
    ),
    "En rad per replik, gärna med tid och namn, t.ex. [00:01:10] Anna Berg: Då är det beslutat.": (
        "One line per utterance, preferably with time and name, e.g. [00:01:10] Anna Berg: Then it is decided."
    ),
    "Godkänd av %(name)s": "Approved by %(name)s",
    "Godkänn anteckningen": "Approve the note",
    "Gör ett nytt utkast med talarna": "Make a new draft with the speakers",
    "Gör ett utkast till protokoll, minnesanteckningar eller journalanteckning från en inspelning eller en transkription. Utkastet är aldrig färdigt förrän en granskare har godkänt det.": (
        "Draft minutes, meeting notes or a case note from a recording or a transcript. The draft is never final "
        "until a reviewer has approved it."
    ),
    "Inga anteckningar ännu.": "No notes yet.",
    "Inspelning": "Recording",
    "Inspelning:": "Recording:",
    "Klistra in transkription": "Paste a transcript",
    "Källor:": "Sources:",
    "Kör jobbet igen under Bakgrundsjobb": "Run the job again under Background jobs",
    "Ladda ner %(format)s": "Download %(format)s",
    "Mall": "Template",
    "Mall:": "Template:",
    "Namn och identifierande uppgifter är ersatta. Kontrollera texten innan du delar den – automatisk pseudonymisering kan missa uppgifter.": (
        "Names and identifying details are replaced. Check the text before sharing it – automatic "
        "pseudonymisation can miss details."
    ),
    "Ny anteckning": "New note",
    "När": "When",
    "Personuppgift": "Personal data",
    "Personuppgift:": "Personal data:",
    "Personuppgifter är markerade. Knapparna under varje avsnitt spelar upp de delar av samtalet som texten bygger på.": (
        "Personal data is highlighted. The buttons under each section play the parts of the conversation the "
        "text is based on."
    ),
    "Pseudonymisera": "Pseudonymise",
    "Pseudonymiserad kopia": "Pseudonymised copy",
    "Redigera avsnittet %(title)s": "Edit the section %(title)s",
    "Rubrik": "Title",
    "Rubrik (valfri)": "Title (optional)",
    "Segment %(n)s": "Segment %(n)s",
    "Segment och talare": "Segments and speakers",
    "Skapa utkast": "Create draft",
    "Skapad": "Created",
    "Skapad av": "Created by",
    "Skriv namnet på den som talar i varje segment. Lämna tomt om du inte vet. Ändringen loggas.": (
        "Write the name of the speaker of each segment. Leave it empty if you do not know. The change is logged."
    ),
    "Spara avsnittet": "Save the section",
    "Spara talare": "Save speakers",
    "Spårade ändringar": "Tracked changes",
    "Talare": "Speaker",
    "Talare för segment %(n)s": "Speaker of segment %(n)s",
    "Talarna är sparade.": "The speakers are saved.",
    "Text": "Text",
    "Tid": "Time",
    "Tillbaka till anteckningen": "Back to the note",
    "Transkriberingen är klar – visa utkastet": "The transcription is done – show the draft",
    "Transkriberingens förlopp": "Transcription progress",
    "Transkription (%(n)s segment)": "Transcript (%(n)s segments)",
    "Underlag: välj ett av sätten": "Source: choose one of the ways",
    "Uppgifter": "Details",
    "Utkast": "Draft",
    "Vad": "What",
    "Vem": "Who",
    "eller ladda upp en transkription (txt, vtt, srt, json)": "or upload a transcript (txt, vtt, srt, json)",
    "eller ladda upp ljud eller video (wav, mp3, m4a, ogg, webm, mp4)": (
        "or upload audio or video (wav, mp3, m4a, ogg, webm, mp4)"
    ),
    "exporterad": "exported",
    "godkänd": "approved",
    "ljudet är raderat": "the audio is deleted",
    "redigerad": "edited",
    "spela upp segment %(n)s": "play segment %(n)s",
    "transkriberad": "transcribed",
    "transkriberas": "being transcribed",
    "transkriberingen misslyckades": "the transcription failed",
    "utkast": "draft",
    "väntar på transkribering": "waiting for transcription",
    "Ändring": "Change",
    "Ändringar": "Changes",
    "Ändringen är sparad.": "The change is saved.",
    "Åtgärder för anteckningen": "Actions for the note",
    "Spela in i webbläsaren": "Record in the browser",
    "Stoppa inspelningen": "Stop recording",
    "Spelar in … tryck på Stoppa inspelningen när du är klar.": "Recording … press Stop recording when you are done.",
    "Inspelningen är klar och bifogad. Tryck på Skapa utkast.": "The recording is done and attached. Press Create draft.",
    "Mikrofonen kunde inte användas. Kontrollera webbläsarens behörigheter.": (
        "The microphone could not be used. Check the browser's permissions."
    ),
    "Mallar för dokumentationsstöd": "Templates for documentation support",
    "Tillbaka till anteckningarna": "Back to the notes",
    "Organisationens egna mallar visas före de inbyggda. En egen mall syns bara i den här organisationen och får inte heta som en inbyggd mall.": (
        "The organisation's own templates are listed before the built-in ones. An own template is visible only in this organisation and may not share a built-in template's name."
    ),
    "Mallen %(name)s är sparad.": "The template %(name)s has been saved.",
    "Mallar som kan väljas": "Templates that can be chosen",
    "Namn": "Name",
    "Beskrivning": "Description",
    "Typ": "Type",
    "Åtgärder": "Actions",
    "egen": "own",
    "inbyggd": "built-in",
    "Redigera %(name)s": "Edit %(name)s",
    "Radera %(name)s": "Delete %(name)s",
    "Redigera mallen %(name)s": "Edit the template %(name)s",
    "Ny mall": "New template",
    "Mallen som JSON": "The template as JSON",
    "Ange name (små bokstäver a–z, siffror och understreck), title, description, sections (key, title, instruction, cues) och fields (key, label, type, instruction). Tillåtna fälttyper: text, name, names, list, date, number. Se exemplet nedanför.": (
        "Give name (lower-case letters a–z, digits and underscores), title, description, sections (key, title, instruction, cues) and fields (key, label, type, instruction). Allowed field types: text, name, names, list, date, number. See the example below."
    ),
    "Spara mallen": "Save the template",
    "Avbryt": "Cancel",
    "Exempel på en mall": "Example of a template",
    "Hantera mallar": "Manage templates",
    "Antal talare (valfritt)": "Number of speakers (optional)",
    "Talarna märks automatiskt som Talare 1, Talare 2 … Ange antalet om du vet det; annars gissas det.": (
        "Speakers are labelled automatically as Talare 1, Talare 2 … Give the number if you know it; otherwise it is "
        "estimated."
    ),
    "Talarna märktes automatiskt (%(n)s talare hittades). Kontrollera och sätt namn på dem.": (
        "Speakers were labelled automatically (%(n)s speakers found). Check them and give them names."
    ),
    "Byt namn på en talare i alla segment": "Rename a speaker in all segments",
    "Nytt namn för %(label)s": "New name for %(label)s",
    "Byt namn på talarna": "Rename the speakers",
    "Talare och text": "Speakers and text",
    "Du kan också rätta texten i ett segment medan du lyssnar; segmentet som spelas markeras.": (
        "You can also correct a segment's text while listening; the segment being played is marked."
    ),
    "Text i segment %(n)s": "Text of segment %(n)s",
    "Spara talare och text": "Save speakers and text",
}
