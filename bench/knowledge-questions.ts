/**
 * The labelled questions of `npm run bench -- knowledge`, over the bundled help center
 * (src/tools/knowledge/help-center). `article` is the URL of the article that answers the
 * question; null marks a question the help center does not cover. Written as customers write:
 * paraphrases, typos, and wording that differs from the article's.
 */

export type QuestionKind = "plain" | "paraphrase" | "typo" | "other-words" | "uncovered";

export interface LabelledQuestion {
  q: string;
  article: string | null;
  kind: QuestionKind;
}

const H = "https://help.example.com";

export const QUESTIONS: LabelledQuestion[] = [
  // Shipping
  { q: "How much does shipping cost?", article: `${H}/shipping/times-and-costs`, kind: "plain" },
  {
    q: "how long until my stuff arrives if I pick standard delivery",
    article: `${H}/shipping/times-and-costs`,
    kind: "paraphrase",
  },
  { q: "is there free shipping over 50 dollars", article: `${H}/shipping/times-and-costs`, kind: "plain" },
  { q: "can you deliver overnight?", article: `${H}/shipping/times-and-costs`, kind: "paraphrase" },
  { q: "shiping to hawaii how many days", article: `${H}/shipping/times-and-costs`, kind: "typo" },
  { q: "Do you ship to Canada?", article: `${H}/shipping/international`, kind: "plain" },
  { q: "can I order from Germany", article: `${H}/shipping/international`, kind: "other-words" },
  { q: "delivery to australia cost", article: `${H}/shipping/international`, kind: "paraphrase" },
  {
    q: "will I have to pay import fees in Canada",
    article: `${H}/shipping/customs-duties`,
    kind: "paraphrase",
  },
  { q: "is VAT included for UK orders", article: `${H}/shipping/customs-duties`, kind: "plain" },
  { q: "where can I find my tracking number", article: `${H}/shipping/tracking`, kind: "plain" },
  { q: "what does out for delivery mean", article: `${H}/shipping/tracking`, kind: "plain" },
  { q: "trakcing hasnt updated in days", article: `${H}/shipping/tracking`, kind: "typo" },
  { q: "my parcel is late, what happens now", article: `${H}/shipping/delayed`, kind: "paraphrase" },
  {
    q: "it says delivered but there's nothing at my door",
    article: `${H}/shipping/missing-package`,
    kind: "other-words",
  },
  { q: "someone stole my package", article: `${H}/shipping/missing-package`, kind: "paraphrase" },
  { q: "can you ship to a PO box", article: `${H}/shipping/addresses`, kind: "plain" },
  { q: "I typed the wrong address, can I fix it?", article: `${H}/shipping/addresses`, kind: "other-words" },
  // Returns
  { q: "What is your return policy?", article: `${H}/returns`, kind: "plain" },
  { q: "Can I return headphones I bought last week?", article: `${H}/returns`, kind: "paraphrase" },
  { q: "how many days do I have to send something back", article: `${H}/returns`, kind: "other-words" },
  { q: "can I return christmas presents in january", article: `${H}/returns`, kind: "other-words" },
  { q: "retrun window for opened earbuds", article: `${H}/returns`, kind: "typo" },
  { q: "how do I get a return label", article: `${H}/returns/how-to-return`, kind: "plain" },
  {
    q: "I don't have a printer, how do I send it back",
    article: `${H}/returns/how-to-return`,
    kind: "other-words",
  },
  { q: "who pays return shipping from Canada", article: `${H}/returns/how-to-return`, kind: "paraphrase" },
  { q: "when will I get my money back", article: `${H}/returns/refund-times`, kind: "other-words" },
  {
    q: "how long do refunds take to show on my card",
    article: `${H}/returns/refund-times`,
    kind: "paraphrase",
  },
  { q: "refnud still not recieved", article: `${H}/returns/refund-times`, kind: "typo" },
  {
    q: "why did I not get the full amount back for my laptop return",
    article: `${H}/returns/restocking-fees`,
    kind: "other-words",
  },
  { q: "is there a restocking fee", article: `${H}/returns/restocking-fees`, kind: "plain" },
  {
    q: "can I swap my speaker for a different color",
    article: `${H}/returns/exchanges`,
    kind: "other-words",
  },
  { q: "the blender arrived broken", article: `${H}/returns/damaged-or-wrong`, kind: "other-words" },
  { q: "you sent me the wrong item", article: `${H}/returns/damaged-or-wrong`, kind: "paraphrase" },
  // Orders
  { q: "how do I cancel my order", article: `${H}/orders/change-or-cancel`, kind: "plain" },
  {
    q: "can I add another item to an order I already placed",
    article: `${H}/orders/change-or-cancel`,
    kind: "paraphrase",
  },
  { q: "never got an order confirmation email", article: `${H}/orders/placing-an-order`, kind: "paraphrase" },
  {
    q: "is there a limit on how many I can buy",
    article: `${H}/orders/placing-an-order`,
    kind: "other-words",
  },
  {
    q: "when will the sold out camera be back in stock",
    article: `${H}/orders/pre-orders`,
    kind: "other-words",
  },
  { q: "when is my card charged for a preorder", article: `${H}/orders/pre-orders`, kind: "paraphrase" },
  { q: "my coupon code doesnt work", article: `${H}/orders/promo-codes`, kind: "paraphrase" },
  { q: "the price dropped after I bought it", article: `${H}/orders/promo-codes`, kind: "other-words" },
  { q: "we are a school, can we buy tax free", article: `${H}/orders/sales-tax`, kind: "paraphrase" },
  { q: "where do I download an invoice", article: `${H}/orders/sales-tax`, kind: "plain" },
  { q: "I lost my order number", article: `${H}/orders/find-an-order`, kind: "plain" },
  // Payments
  { q: "what payment methods do you accept", article: `${H}/payments/methods`, kind: "plain" },
  { q: "can I pay with bitcoin", article: `${H}/payments/methods`, kind: "other-words" },
  { q: "do you take amex", article: `${H}/payments/methods`, kind: "paraphrase" },
  { q: "can I split the payment into installments", article: `${H}/payments/klarna`, kind: "paraphrase" },
  { q: "buy now pay later options", article: `${H}/payments/klarna`, kind: "other-words" },
  { q: "my card keeps getting declined", article: `${H}/payments/problems`, kind: "paraphrase" },
  { q: "I was charged twice", article: `${H}/payments/problems`, kind: "plain" },
  { q: "do gift cards expire", article: `${H}/payments/gift-cards`, kind: "plain" },
  // Account
  { q: "I forgot my password", article: `${H}/account/reset-password`, kind: "plain" },
  { q: "cant log in to my acount", article: `${H}/account/reset-password`, kind: "typo" },
  { q: "how do I change the email on my account", article: `${H}/account/manage`, kind: "paraphrase" },
  {
    q: "I got a new phone and can't get the verification code",
    article: `${H}/account/two-step-verification`,
    kind: "other-words",
  },
  { q: "please delete all my personal data", article: `${H}/account/delete-account`, kind: "paraphrase" },
  { q: "how do I stop getting your marketing emails", article: `${H}/account/emails`, kind: "other-words" },
  // Warranty
  { q: "how long is the warranty", article: `${H}/warranty`, kind: "plain" },
  { q: "does the guarantee cover a cracked screen", article: `${H}/warranty`, kind: "other-words" },
  { q: "my watch stopped working after 8 months", article: `${H}/warranty/claims`, kind: "other-words" },
  {
    q: "can I get extended warranty for accidental damage",
    article: `${H}/warranty/protection-plan`,
    kind: "paraphrase",
  },
  // Products and contact
  { q: "how do I clean my earbuds", article: `${H}/products/headphones-care`, kind: "plain" },
  { q: "bluetooth headphones wont pair", article: `${H}/products/headphones-care`, kind: "paraphrase" },
  { q: "my battery drains really fast", article: `${H}/products/battery-care`, kind: "paraphrase" },
  {
    q: "how often should I descale the coffee maker",
    article: `${H}/products/kitchen-care`,
    kind: "paraphrase",
  },
  { q: "can I swim with my fitness tracker", article: `${H}/products/water-resistance`, kind: "other-words" },
  { q: "smart plug won't connect to wifi", article: `${H}/products/smart-home-setup`, kind: "paraphrase" },
  { q: "what are your opening hours", article: `${H}/contact`, kind: "plain" },
  { q: "whats your phone number", article: `${H}/contact`, kind: "paraphrase" },
  { q: "I want to talk to a real person", article: `${H}/contact/talk-to-a-person`, kind: "other-words" },
  // Not covered by the help center
  { q: "Do you offer student discounts?", article: null, kind: "uncovered" },
  { q: "Are you hiring software engineers?", article: null, kind: "uncovered" },
  { q: "Do you have an affiliate program?", article: null, kind: "uncovered" },
  { q: "Can I get my order gift wrapped?", article: null, kind: "uncovered" },
  { q: "Do you have a loyalty points program?", article: null, kind: "uncovered" },
  { q: "Can you engrave my name on the headphones?", article: null, kind: "uncovered" },
  { q: "Do you offer trade-in for my old phone?", article: null, kind: "uncovered" },
  { q: "Is there a physical store in Chicago I can visit?", article: null, kind: "uncovered" },
  { q: "Do you do installation of the smart thermostat at my home?", article: null, kind: "uncovered" },
  { q: "what is your carbon footprint policy", article: null, kind: "uncovered" },
];
