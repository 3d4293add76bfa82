/**
 * The demo model's "understanding": a few deterministic patterns that spot a weather, product,
 * order or policy question in the user's message and produce the tool call a real model would make.
 */

export type DemoToolName =
  | "get_weather"
  | "search_products"
  | "get_order_status"
  | "search_help_center"
  | "handoff_to_human";

export interface DemoCall {
  name: DemoToolName;
  args: Record<string, unknown>;
}

export interface Intents {
  /** Tool calls to make (only tools the request offered), in the order the user asked. */
  calls: DemoCall[];
  /** What the user seemed to ask for but left out (sentences asking for it). */
  missing: string[];
}

const WEATHER_WORD = /\b(?:weather|forecast|temperature)\b/i;
/** "weather in Paris", "forecast for Tokyo", "temperature like in New York". */
const WEATHER_PLACE =
  /\b(?:weather|forecast|temperature)\b(?:\s+(?:like|today|tomorrow|now|going to be|be))*\s+(?:in|for|at|of)\s+(?:the\s+)?([^?.!,;:()\n]+)/i;
/** "Paris weather", "New York forecast". */
const PLACE_WEATHER = /\b((?:[A-Z][\p{L}'-]+\s+){0,2}[A-Z][\p{L}'-]+)\s+(?:weather|forecast)\b/u;
/** Where a place name ends inside "weather in Paris in fahrenheit today and ...". */
const PLACE_END =
  /\s+(?:in\s+(?:celsius|fahrenheit|[cf]\b)|today|tonight|tomorrow|right now|now|this\s+(?:week|weekend)|please|and|&|like|then)\b.*$/i;
const FAHRENHEIT = /\bfahrenheit\b|°\s*f\b|\bin\s+f\b|\bimperial\b/i;

/** "do you have ...", "search products ...", "looking for ...", "any ... in stock". */
const PRODUCT_QUERY =
  /\b(?:do\s+you\s+(?:have|sell|carry|stock)|search(?:ing)?\s+(?:for\s+)?(?:the\s+)?products?(?:\s+for)?|looking\s+for|find\s+me|i\s+(?:want|need)\s+to\s+buy)\s*:?\s+(.+)/i;
const QUERY_END =
  /[?.!;\n]|,?\s+(?:and|also|plus)\s+(?:what|where|how|is|are|the|my|can|could|tell|check|whats|what's)\b/i;
const PRICE =
  /\s*(?:for\s+)?(?:under|below|less\s+than|cheaper\s+than|up\s+to|at\s+most|max(?:imum)?|within)\s*(?:\$|usd\s*)?\s*(\d+(?:[.,]\d+)?)\s*(?:\$|dollars|usd|bucks)?/i;
const IN_STOCK = /\s*\b(?:that\s+(?:are|is)\s+)?(?:in\s+stock|available(?:\s+now)?)\b/i;
const QUERY_FILLER = /^(?:any|some|a|an|the)\s+|\s+(?:please|for\s+me|right\s+now)$/gi;

const ORDER_ID = /\border\b\s*(?:number|no\.?|id)?\s*[:#]?\s*#?\s*([A-Za-z]{0,4}-?\d[\w-]*)/i;
const ORDER_WORDS = /\b(?:my|an?|the)\s+(?:order|package|parcel|delivery|shipment)\b|\border\s+status\b/i;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
/** Policy and how-to words: such a question goes to the help center (unless it names an order). */
const POLICY =
  /\b(?:return(?:s|ing)?|refunds?|exchanges?|shipping|ship|deliver(?:y|ies)|customs|dut(?:y|ies)|warrant(?:y|ies)|guarantee|protection plan|pay(?:ment)?s?|klarna|installments?|gift cards?|promo|coupon|discount|cancel(?:l?ing|l?ation)?|password|log ?in|sign ?in|account|two-step|2fa|unsubscribe|newsletter|privacy|opening hours|open on|contact|phone number|talk to (?:a )?(?:person|human)|clean(?:ing)?|descal(?:e|ing)|battery|waterproof|water resistan(?:t|ce)|pairing|tax(?:es)?|invoice|pre-?orders?|restocking)\b/i;

/** "Can I talk to a person?", "I want a human", "real agent please": a hand-off, before anything else. */
const HANDOFF =
  /\b(?:(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|some\s*)?(?:person|human|agent|one|real)|(?:a|an)\s+(?:real\s+)?(?:human|person|agent)\b)/i;

export function detectIntents(text: string, offered: ReadonlySet<string>): Intents {
  if (offered.has("handoff_to_human") && HANDOFF.test(text)) {
    return { calls: [{ name: "handoff_to_human", args: { reason: "asked for a person" } }], missing: [] };
  }
  const found: { at: number; call?: DemoCall; missing?: string }[] = [];

  const weatherAt = text.search(WEATHER_WORD);
  if (weatherAt >= 0 && offered.has("get_weather")) {
    const place = weatherPlace(text);
    if (place) {
      const unit = FAHRENHEIT.test(text) ? "fahrenheit" : "celsius";
      found.push({ at: weatherAt, call: { name: "get_weather", args: { location: place, unit } } });
    } else {
      found.push({
        at: weatherAt,
        missing: `Which city should I check the weather for? Try "weather in Paris".`,
      });
    }
  }

  const product = PRODUCT_QUERY.exec(text);
  if (product?.[1] && offered.has("search_products")) {
    const args = productArgs(product[1]);
    if (args) found.push({ at: product.index, call: { name: "search_products", args } });
  }

  const orderId = ORDER_ID.exec(text);
  const policy = POLICY.exec(text);
  // "How do I cancel my order?" asks for the policy; "Cancel order 1042, ana@example.com" names one.
  const helpAsked = policy !== null && !orderId && !EMAIL.test(text) && offered.has("search_help_center");
  if (helpAsked && found.length === 0) {
    found.push({
      at: policy.index,
      call: { name: "search_help_center", args: { query: text.trim().slice(0, 300), limit: 3 } },
    });
  }

  const orderAsked = orderId ?? ORDER_WORDS.exec(text);
  if (orderAsked && !helpAsked && offered.has("get_order_status")) {
    const email = EMAIL.exec(text)?.[0];
    if (orderId?.[1] && email) {
      found.push({
        at: orderAsked.index,
        call: { name: "get_order_status", args: { order_id: orderId[1], email } },
      });
    } else {
      const need = orderId
        ? "the email address you ordered with"
        : "your order number and the email address you ordered with";
      found.push({
        at: orderAsked.index,
        missing: `To look up an order I need ${need}, e.g. "Where is my order 1042? My email is ana@example.com".`,
      });
    }
  }

  found.sort((a, b) => a.at - b.at);
  return {
    calls: found.flatMap((f) => (f.call ? [f.call] : [])),
    missing: found.flatMap((f) => (f.missing ? [f.missing] : [])),
  };
}

function weatherPlace(text: string): string | undefined {
  const raw = WEATHER_PLACE.exec(text)?.[1] ?? PLACE_WEATHER.exec(text)?.[1];
  if (!raw) return undefined;
  const place = raw.replace(PLACE_END, "").trim();
  return place === "" || /^(?:me|my area|here|my location)$/i.test(place) ? undefined : place;
}

function productArgs(rest: string): Record<string, unknown> | undefined {
  const phrase = rest.split(QUERY_END)[0] ?? "";
  const price = PRICE.exec(phrase);
  const inStock = IN_STOCK.test(phrase);
  const query = phrase
    .replace(PRICE, " ")
    .replace(IN_STOCK, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(QUERY_FILLER, "")
    .trim();
  // "do you have my order status?" is an order question, not a product search.
  if (query === "" || /\b(?:order|weather|forecast)\b/i.test(query)) return undefined;
  const args: Record<string, unknown> = { query };
  if (price?.[1]) args.max_price = Number(price[1].replace(",", "."));
  if (inStock) args.in_stock_only = true;
  return args;
}
