"""The phrase banks of the synthetic generator and its help centre, in four languages.

Every informative phrase belongs to one help-centre article (and so to one routing queue), or, for
the ambiguous ones, to several queues at once. The generator counts which phrases it put into a case;
those counts are the evidence behind the case's true label probabilities (see `generator.py`).
"""

from __future__ import annotations

LANGUAGES = ("en", "fr", "de", "es")

QUEUES = (
    "payouts",
    "disputes",
    "refunds",
    "identity_verification",
    "billing",
    "subscriptions",
    "api_integration",
    "connected_accounts",
    "fraud_risk",
    "terminal_hardware",
    "tax_forms",
    "account_access",
)

# (article_id, queue, title, {language: [phrases]}) — the help centre. Each phrase names the article's topic.
ARTICLES: tuple[tuple[str, str, str, dict[str, list[str]]], ...] = (
    (
        "payouts-delayed",
        "payouts",
        "Why is my payout delayed?",
        {
            "en": ["my payout has not arrived", "the payout is delayed"],
            "fr": ["mon versement n'est pas arrivé", "le virement est en retard"],
            "de": ["meine Auszahlung ist nicht angekommen", "die Auszahlung ist verspätet"],
            "es": ["mi liquidación no ha llegado", "la liquidación está retrasada"],
        },
    ),
    (
        "payouts-failed",
        "payouts",
        "Fixing a failed payout to your bank account",
        {
            "en": ["the payout failed", "the bank rejected the payout"],
            "fr": ["échec du versement", "la banque a rejeté le versement"],
            "de": ["die Auszahlung ist fehlgeschlagen", "die Bank hat die Auszahlung abgelehnt"],
            "es": ["la liquidación falló", "el banco rechazó la liquidación"],
        },
    ),
    (
        "payouts-schedule",
        "payouts",
        "Changing your payout schedule",
        {
            "en": ["change my payout schedule", "weekly payouts instead of daily"],
            "fr": ["modifier le calendrier des versements"],
            "de": ["den Auszahlungsrhythmus ändern"],
            "es": ["cambiar el calendario de liquidaciones"],
        },
    ),
    (
        "disputes-respond",
        "disputes",
        "Responding to a dispute",
        {
            "en": ["respond to a chargeback", "submit evidence for the dispute"],
            "fr": ["répondre à un litige", "envoyer des preuves pour la contestation"],
            "de": ["auf eine Rückbuchung reagieren", "Nachweise für den Streitfall einreichen"],
            "es": ["responder a un contracargo", "enviar pruebas para la disputa"],
        },
    ),
    (
        "disputes-fee",
        "disputes",
        "Dispute fees explained",
        {
            "en": ["a dispute fee was charged", "the chargeback fee"],
            "fr": ["des frais de litige ont été prélevés"],
            "de": ["eine Gebühr für die Rückbuchung"],
            "es": ["la comisión por contracargo"],
        },
    ),
    (
        "disputes-lost",
        "disputes",
        "What happens when you lose a dispute",
        {
            "en": ["we lost the dispute", "the dispute closed in favour of the cardholder"],
            "fr": ["nous avons perdu le litige"],
            "de": ["wir haben den Streitfall verloren"],
            "es": ["perdimos la disputa"],
        },
    ),
    (
        "refunds-issue",
        "refunds",
        "Issuing a refund",
        {
            "en": ["how to refund a customer", "issue a partial refund"],
            "fr": ["comment rembourser un client"],
            "de": ["einem Kunden eine Erstattung geben"],
            "es": ["cómo reembolsar a un cliente"],
        },
    ),
    (
        "refunds-missing",
        "refunds",
        "Refund not received by the customer",
        {
            "en": ["the customer did not receive the refund", "the refund is still pending"],
            "fr": ["le client n'a pas reçu le remboursement"],
            "de": ["der Kunde hat die Erstattung nicht erhalten"],
            "es": ["el cliente no recibió el reembolso"],
        },
    ),
    (
        "refunds-failed",
        "refunds",
        "Why a refund can fail",
        {
            "en": ["the refund failed", "cannot refund an old charge"],
            "fr": ["le remboursement a échoué"],
            "de": ["die Erstattung ist fehlgeschlagen"],
            "es": ["el reembolso falló"],
        },
    ),
    (
        "idv-documents",
        "identity_verification",
        "Documents we accept for verification",
        {
            "en": ["upload my ID document", "my verification document was rejected"],
            "fr": ["ma pièce d'identité a été refusée"],
            "de": ["mein Ausweisdokument hochladen"],
            "es": ["subir mi documento de identidad"],
        },
    ),
    (
        "idv-business",
        "identity_verification",
        "Verifying your business details",
        {
            "en": ["verify my business details", "our company registration number"],
            "fr": ["vérifier les informations de l'entreprise"],
            "de": ["unsere Unternehmensdaten verifizieren"],
            "es": ["verificar los datos de la empresa"],
        },
    ),
    (
        "idv-owners",
        "identity_verification",
        "Beneficial owners and representatives",
        {
            "en": ["beneficial owner information", "add a company representative"],
            "fr": ["les bénéficiaires effectifs"],
            "de": ["die wirtschaftlich Berechtigten"],
            "es": ["los titulares reales"],
        },
    ),
    (
        "billing-invoice",
        "billing",
        "Downloading your fee invoices",
        {
            "en": ["download my invoice", "a VAT invoice for our fees"],
            "fr": ["télécharger ma facture"],
            "de": ["meine Rechnung herunterladen"],
            "es": ["descargar mi factura"],
        },
    ),
    (
        "billing-fees",
        "billing",
        "Understanding processing fees",
        {
            "en": ["processing fees are higher than expected", "a breakdown of the fees"],
            "fr": ["les frais de traitement sont trop élevés"],
            "de": ["die Bearbeitungsgebühren sind zu hoch"],
            "es": ["las comisiones de procesamiento son altas"],
        },
    ),
    (
        "billing-method",
        "billing",
        "Updating the card we bill",
        {
            "en": ["update the billing card on file", "our billing payment method expired"],
            "fr": ["mettre à jour le moyen de paiement de facturation"],
            "de": ["die Zahlungsmethode für die Abrechnung aktualisieren"],
            "es": ["actualizar el método de pago de facturación"],
        },
    ),
    (
        "subs-cancel",
        "subscriptions",
        "Cancelling a customer's subscription",
        {
            "en": ["cancel a customer subscription", "the subscription cancellation"],
            "fr": ["annuler un abonnement client"],
            "de": ["das Abonnement eines Kunden kündigen"],
            "es": ["cancelar una suscripción"],
        },
    ),
    (
        "subs-proration",
        "subscriptions",
        "How proration works",
        {
            "en": ["proration on a plan change", "a prorated charge"],
            "fr": ["le calcul au prorata"],
            "de": ["die anteilige Berechnung beim Tarifwechsel"],
            "es": ["el prorrateo al cambiar de plan"],
        },
    ),
    (
        "subs-retries",
        "subscriptions",
        "Failed renewals and retries",
        {
            "en": ["the subscription renewal failed", "smart retries for recurring payments"],
            "fr": ["échec du renouvellement de l'abonnement"],
            "de": ["die Verlängerung des Abonnements ist fehlgeschlagen"],
            "es": ["la renovación de la suscripción falló"],
        },
    ),
    (
        "api-errors",
        "api_integration",
        "Reading API error codes",
        {
            "en": ["the API returns a 400 error", "an invalid request error from the API"],
            "fr": ["l'API renvoie une erreur 400"],
            "de": ["die API gibt einen Fehler 400 zurück"],
            "es": ["la API devuelve un error 400"],
        },
    ),
    (
        "api-webhooks",
        "api_integration",
        "Webhook delivery failures",
        {
            "en": ["webhooks are not delivered", "webhook signature verification fails"],
            "fr": ["les webhooks ne sont pas livrés"],
            "de": ["Webhooks werden nicht zugestellt"],
            "es": ["los webhooks no se entregan"],
        },
    ),
    (
        "api-keys",
        "api_integration",
        "Rotating API keys",
        {
            "en": ["rotate my API keys", "our secret key leaked"],
            "fr": ["changer mes clés API"],
            "de": ["die API-Schlüssel rotieren"],
            "es": ["rotar mis claves de API"],
        },
    ),
    (
        "connect-onboarding",
        "connected_accounts",
        "Onboarding connected accounts",
        {
            "en": ["onboard a connected account", "the connected account onboarding link"],
            "fr": ["l'intégration d'un compte connecté"],
            "de": ["ein verbundenes Konto einrichten"],
            "es": ["incorporar una cuenta conectada"],
        },
    ),
    (
        "connect-transfers",
        "connected_accounts",
        "Transfers to connected accounts",
        {
            "en": ["a transfer to a connected account", "the platform application fee"],
            "fr": ["un transfert vers un compte connecté"],
            "de": ["eine Überweisung an ein verbundenes Konto"],
            "es": ["una transferencia a una cuenta conectada"],
        },
    ),
    (
        "connect-capabilities",
        "connected_accounts",
        "Connected account capabilities",
        {
            "en": ["a connected account capability is inactive", "our sub-merchant cannot accept payments"],
            "fr": ["une capacité du compte connecté est inactive"],
            "de": ["eine Funktion des verbundenen Kontos ist inaktiv"],
            "es": ["una capacidad de la cuenta conectada está inactiva"],
        },
    ),
    (
        "fraud-review",
        "fraud_risk",
        "Payments held for review",
        {
            "en": ["a payment is held for risk review", "transactions were flagged as fraudulent"],
            "fr": ["un paiement est bloqué pour examen des risques"],
            "de": ["eine Zahlung wird zur Risikoprüfung zurückgehalten"],
            "es": ["un pago está retenido por revisión de riesgo"],
        },
    ),
    (
        "fraud-rules",
        "fraud_risk",
        "Custom fraud rules",
        {
            "en": ["block card testing attacks", "a fraud rule blocks good customers"],
            "fr": ["une règle antifraude est trop stricte"],
            "de": ["eine Betrugsregel blockiert Kunden"],
            "es": ["una regla antifraude bloquea clientes"],
        },
    ),
    (
        "fraud-reserve",
        "fraud_risk",
        "Account reserves",
        {
            "en": ["a reserve was placed on my balance", "the rolling reserve"],
            "fr": ["une réserve sur mon solde"],
            "de": ["eine Reserve auf meinem Guthaben"],
            "es": ["una reserva en mi saldo"],
        },
    ),
    (
        "terminal-setup",
        "terminal_hardware",
        "Setting up your card reader",
        {
            "en": ["the card reader will not pair", "set up the terminal"],
            "fr": ["le terminal de paiement ne se connecte pas"],
            "de": ["der Kartenleser lässt sich nicht koppeln"],
            "es": ["el lector de tarjetas no se empareja"],
        },
    ),
    (
        "terminal-errors",
        "terminal_hardware",
        "Card reader error messages",
        {
            "en": ["the reader shows an error screen", "the terminal keeps rebooting"],
            "fr": ["le lecteur affiche une erreur"],
            "de": ["das Terminal startet ständig neu"],
            "es": ["el terminal se reinicia constantemente"],
        },
    ),
    (
        "terminal-order",
        "terminal_hardware",
        "Ordering hardware",
        {
            "en": ["order a new card reader", "shipping of the replacement terminal"],
            "fr": ["commander un nouveau lecteur de cartes"],
            "de": ["einen neuen Kartenleser bestellen"],
            "es": ["pedir un nuevo lector de tarjetas"],
        },
    ),
    (
        "tax-forms",
        "tax_forms",
        "Tax forms for your account",
        {
            "en": ["the 1099-K form", "our tax form is missing"],
            "fr": ["le formulaire fiscal est manquant"],
            "de": ["das Steuerformular fehlt"],
            "es": ["falta el formulario fiscal"],
        },
    ),
    (
        "tax-id",
        "tax_forms",
        "Updating your tax ID",
        {
            "en": ["update my tax ID", "a TIN mismatch"],
            "fr": ["mettre à jour mon numéro fiscal"],
            "de": ["meine Steuernummer aktualisieren"],
            "es": ["actualizar mi número de identificación fiscal"],
        },
    ),
    (
        "tax-collection",
        "tax_forms",
        "Collecting VAT and sales tax",
        {
            "en": ["collect sales tax at checkout", "VAT rates for my customers"],
            "fr": ["collecter la TVA"],
            "de": ["die Umsatzsteuer berechnen"],
            "es": ["cobrar el IVA"],
        },
    ),
    (
        "access-2fa",
        "account_access",
        "Lost two-factor device",
        {
            "en": ["I lost my two-factor device", "the 2FA code is not working"],
            "fr": ["j'ai perdu mon appareil de double authentification"],
            "de": ["ich habe mein Zwei-Faktor-Gerät verloren"],
            "es": ["perdí mi dispositivo de doble factor"],
        },
    ),
    (
        "access-password",
        "account_access",
        "Resetting your password",
        {
            "en": ["reset my password", "I am locked out of the dashboard"],
            "fr": ["réinitialiser mon mot de passe"],
            "de": ["mein Passwort zurücksetzen"],
            "es": ["restablecer mi contraseña"],
        },
    ),
    (
        "access-team",
        "account_access",
        "Managing team members",
        {
            "en": ["invite a team member", "change user roles"],
            "fr": ["inviter un membre de l'équipe"],
            "de": ["ein Teammitglied einladen"],
            "es": ["invitar a un miembro del equipo"],
        },
    ),
)

# Phrases that point at several queues at once: ({queues}, {language: phrase}).
AMBIGUOUS: tuple[tuple[tuple[str, ...], dict[str, str]], ...] = (
    (
        ("payouts", "refunds", "fraud_risk"),
        {
            "en": "money is missing from my balance",
            "fr": "de l'argent manque sur mon solde",
            "de": "Geld fehlt auf meinem Guthaben",
            "es": "falta dinero en mi saldo",
        },
    ),
    (
        ("disputes", "fraud_risk", "billing"),
        {
            "en": "there is a charge I do not recognise",
            "fr": "il y a un prélèvement que je ne reconnais pas",
            "de": "es gibt eine Belastung, die ich nicht kenne",
            "es": "hay un cargo que no reconozco",
        },
    ),
    (
        ("refunds", "disputes"),
        {
            "en": "the customer wants their money back",
            "fr": "le client veut récupérer son argent",
            "de": "der Kunde will sein Geld zurück",
            "es": "el cliente quiere recuperar su dinero",
        },
    ),
    (
        ("account_access", "api_integration"),
        {
            "en": "we cannot log in to the integration",
            "fr": "impossible de se connecter à l'intégration",
            "de": "wir können uns nicht bei der Integration anmelden",
            "es": "no podemos entrar en la integración",
        },
    ),
    (
        ("identity_verification", "connected_accounts"),
        {
            "en": "verification for my sellers",
            "fr": "la vérification de mes vendeurs",
            "de": "die Verifizierung meiner Verkäufer",
            "es": "la verificación de mis vendedores",
        },
    ),
    (
        ("billing", "subscriptions"),
        {
            "en": "the invoice for the monthly plan",
            "fr": "la facture de l'offre mensuelle",
            "de": "die Rechnung für den Monatsplan",
            "es": "la factura del plan mensual",
        },
    ),
    (
        ("tax_forms", "billing"),
        {
            "en": "tax on my fees",
            "fr": "la taxe sur mes frais",
            "de": "Steuern auf meine Gebühren",
            "es": "impuestos sobre mis comisiones",
        },
    ),
    (
        ("terminal_hardware", "fraud_risk"),
        {
            "en": "payments are declined at the counter",
            "fr": "les paiements sont refusés en caisse",
            "de": "Zahlungen werden an der Kasse abgelehnt",
            "es": "los pagos se rechazan en el mostrador",
        },
    ),
    (
        ("identity_verification", "fraud_risk", "account_access"),
        {
            "en": "my account is restricted",
            "fr": "mon compte est restreint",
            "de": "mein Konto ist eingeschränkt",
            "es": "mi cuenta está restringida",
        },
    ),
)

# Sentence frames that carry one informative phrase; they carry no topic information themselves.
FRAMES = {
    "en": [
        "{}.",
        "Hello, {}.",
        "We have a problem: {}.",
        "Can you help? {}.",
        "Question about this: {}.",
        "Hi team, {}.",
    ],
    "fr": ["{}.", "Bonjour, {}.", "Nous avons un problème : {}.", "Pouvez-vous aider ? {}.", "Question : {}."],
    "de": ["{}.", "Hallo, {}.", "Wir haben ein Problem: {}.", "Können Sie helfen? {}.", "Frage: {}."],
    "es": ["{}.", "Hola, {}.", "Tenemos un problema: {}.", "¿Pueden ayudar? {}.", "Pregunta: {}."],
}

# Subject lines without topic information.
GENERIC_SUBJECTS = {
    "en": ["Help needed", "Question", "Problem with my account", "Support request", "Issue"],
    "fr": ["Besoin d'aide", "Question", "Problème avec mon compte", "Demande d'assistance"],
    "de": ["Hilfe benötigt", "Frage", "Problem mit meinem Konto", "Supportanfrage"],
    "es": ["Necesito ayuda", "Pregunta", "Problema con mi cuenta", "Solicitud de soporte"],
}

# Whole messages with no topic information ("short vague messages").
VAGUE = {
    "en": [
        "it's broken again!!",
        "nothing works",
        "please help asap",
        "same problem as last week",
        "still not fixed?!",
    ],
    "fr": ["ça ne marche plus !!", "rien ne fonctionne", "aidez-moi vite", "toujours pas réglé ?!"],
    "de": ["geht schon wieder nicht!!", "nichts funktioniert", "bitte schnell helfen", "immer noch nicht behoben?!"],
    "es": ["¡¡otra vez no funciona!!", "nada funciona", "ayuda por favor", "¿¡sigue sin arreglarse!?"],
}

# Phrases that raise urgency, ask for escalation, or show anger (CSAT risk); each is evidence too.
URGENT = {
    "en": ["we cannot take payments", "this is urgent", "our shop is down", "the deadline is tomorrow"],
    "fr": ["nous ne pouvons plus encaisser", "c'est urgent", "notre boutique est bloquée"],
    "de": ["wir können keine Zahlungen annehmen", "das ist dringend", "unser Shop steht still"],
    "es": ["no podemos cobrar", "es urgente", "nuestra tienda está parada"],
}
ESCALATE = {
    "en": [
        "please escalate this",
        "our lawyer is involved",
        "this looks like a bug on your side",
        "I want to speak to a manager",
    ],
    "fr": ["merci de faire remonter le dossier", "notre avocat est informé", "cela ressemble à un bug chez vous"],
    "de": ["bitte eskalieren Sie das", "unser Anwalt ist informiert", "das sieht nach einem Fehler bei Ihnen aus"],
    "es": ["por favor escalen esto", "nuestro abogado está al tanto", "parece un error de su parte"],
}
ANGRY = {
    "en": ["this is ridiculous", "this is the third time I am writing", "we are very disappointed"],
    "fr": ["c'est inadmissible", "c'est la troisième fois que j'écris", "nous sommes très déçus"],
    "de": ["das ist eine Frechheit", "ich schreibe zum dritten Mal", "wir sind sehr enttäuscht"],
    "es": ["esto es ridículo", "es la tercera vez que escribo", "estamos muy decepcionados"],
}

# Uninformative filler around the informative sentences.
GREETINGS = {
    "en": ["Hi,", "Hello,", "Dear support,"],
    "fr": ["Bonjour,", "Madame, Monsieur,"],
    "de": ["Hallo,", "Guten Tag,"],
    "es": ["Hola,", "Buenos días,"],
}
FILLER = {
    "en": [
        "We sell online and in person.",
        "I checked the dashboard already.",
        "Thanks in advance.",
        "Let me know if you need more details.",
        "We have been customers for a while.",
    ],
    "fr": ["Nous vendons en ligne.", "J'ai déjà vérifié le tableau de bord.", "Merci d'avance."],
    "de": ["Wir verkaufen online.", "Ich habe das Dashboard schon geprüft.", "Danke im Voraus."],
    "es": ["Vendemos en línea.", "Ya revisé el panel.", "Gracias de antemano."],
}
SIGN_OFFS = {
    "en": ["Best regards", "Thanks", "Cheers"],
    "fr": ["Cordialement", "Merci"],
    "de": ["Viele Grüße", "Danke"],
    "es": ["Saludos", "Gracias"],
}
