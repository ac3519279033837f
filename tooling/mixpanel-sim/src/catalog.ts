/** Value pools of the synthetic dataset: places, devices, names, products. */

export interface Place {
  readonly city: string
  readonly region: string
  readonly country: string
  /** Rough UTC offset in hours, so users are active in their local daytime. */
  readonly utcOffset: number
  readonly weight: number
}

export const places: ReadonlyArray<Place> = [
  { city: "San Francisco", region: "California", country: "US", utcOffset: -8, weight: 9 },
  { city: "New York", region: "New York", country: "US", utcOffset: -5, weight: 10 },
  { city: "Chicago", region: "Illinois", country: "US", utcOffset: -6, weight: 5 },
  { city: "Austin", region: "Texas", country: "US", utcOffset: -6, weight: 3 },
  { city: "Toronto", region: "Ontario", country: "CA", utcOffset: -5, weight: 3 },
  { city: "México City", region: "Ciudad de México", country: "MX", utcOffset: -6, weight: 3 },
  { city: "São Paulo", region: "São Paulo", country: "BR", utcOffset: -3, weight: 5 },
  { city: "London", region: "England", country: "GB", utcOffset: 0, weight: 7 },
  { city: "Paris", region: "Île-de-France", country: "FR", utcOffset: 1, weight: 4 },
  { city: "München", region: "Bayern", country: "DE", utcOffset: 1, weight: 4 },
  { city: "Zürich", region: "Zürich", country: "CH", utcOffset: 1, weight: 1 },
  { city: "Kraków", region: "Małopolskie", country: "PL", utcOffset: 1, weight: 2 },
  { city: "תל אביב", region: "Tel Aviv", country: "IL", utcOffset: 2, weight: 2 },
  { city: "القاهرة", region: "Cairo", country: "EG", utcOffset: 2, weight: 1 },
  { city: "Bengaluru", region: "Karnataka", country: "IN", utcOffset: 5.5, weight: 6 },
  { city: "Singapore", region: "Singapore", country: "SG", utcOffset: 8, weight: 2 },
  { city: "東京", region: "東京都", country: "JP", utcOffset: 9, weight: 5 },
  { city: "서울", region: "서울특별시", country: "KR", utcOffset: 9, weight: 3 },
  { city: "上海", region: "上海市", country: "CN", utcOffset: 8, weight: 2 },
  { city: "Sydney", region: "New South Wales", country: "AU", utcOffset: 10, weight: 3 },
  { city: "Lagos", region: "Lagos", country: "NG", utcOffset: 1, weight: 2 },
]

export interface Platform {
  readonly os: string
  readonly lib: "web" | "iphone" | "android"
  readonly browsers: ReadonlyArray<string>
  readonly devices: ReadonlyArray<string>
  readonly weight: number
}

export const platforms: ReadonlyArray<Platform> = [
  {
    os: "iOS",
    lib: "iphone",
    browsers: [],
    devices: ["iPhone15,2", "iPhone14,5", "iPad13,4"],
    weight: 28,
  },
  {
    os: "Android",
    lib: "android",
    browsers: [],
    devices: ["Pixel 8", "SM-S918B", "moto g"],
    weight: 22,
  },
  { os: "Windows", lib: "web", browsers: ["Chrome", "Edge", "Firefox"], devices: [], weight: 24 },
  {
    os: "Mac OS X",
    lib: "web",
    browsers: ["Chrome", "Safari", "Firefox"],
    devices: [],
    weight: 18,
  },
  { os: "Linux", lib: "web", browsers: ["Chrome", "Firefox"], devices: [], weight: 5 },
  { os: "Chrome OS", lib: "web", browsers: ["Chrome"], devices: [], weight: 3 },
]

export const personNames: ReadonlyArray<string> = [
  "Ada Lovelace",
  "José Álvarez",
  "Zoë Müller",
  "王小明",
  "佐藤 花子",
  "김민준",
  "محمد علي",
  "שרה כהן",
  "Олег Петров",
  "Chloé Dubois",
  "Søren Kierkegaard",
  "Ngozi Okafor",
  "Priya Sharma",
  "Łukasz Nowak",
  "Mia 🌸 Chen",
  "Ωmega Tester",
  "Bob O'Brien",
  'Quote "Q" Person',
]

export interface Product {
  readonly id: string
  readonly name: string
  readonly category: string
  readonly price: number
}

export const products: ReadonlyArray<Product> = [
  { id: "sku-1001", name: "Espresso Machine", category: "kitchen", price: 249.99 },
  { id: "sku-1002", name: "抹茶 Matcha Set", category: "kitchen", price: 34.5 },
  { id: "sku-1003", name: "Noise-Cancelling Headphones", category: "audio", price: 199 },
  { id: "sku-1004", name: "Trail Running Shoes 👟", category: "sport", price: 129.95 },
  { id: "sku-1005", name: "Yoga Mat", category: "sport", price: 25 },
  { id: "sku-1006", name: "Mechanical Keyboard ⌨️", category: "computers", price: 89.9 },
  { id: "sku-1007", name: "4K Monitor", category: "computers", price: 379 },
  { id: "sku-1008", name: "Notebook (A5, dotted)", category: "office", price: 7.99 },
  { id: "sku-1009", name: "كتاب الطبخ", category: "books", price: 18.75 },
  { id: "sku-1010", name: "Smart Watch", category: "wearables", price: 299.0 },
  { id: "sku-1011", name: "Ceramic Mug", category: "kitchen", price: 12.5 },
  { id: "sku-1012", name: "Backpack 🎒", category: "travel", price: 74 },
]

export const currencies: ReadonlyArray<readonly [string, number]> = [
  ["USD", 1],
  ["EUR", 0.92],
  ["GBP", 0.79],
  ["JPY", 148],
  ["BRL", 4.9],
  ["INR", 83],
]

export const currencyOfCountry: Readonly<Record<string, string>> = {
  US: "USD",
  CA: "USD",
  MX: "USD",
  BR: "BRL",
  GB: "GBP",
  FR: "EUR",
  DE: "EUR",
  CH: "EUR",
  PL: "EUR",
  JP: "JPY",
  IN: "INR",
}

export const searchQueries: ReadonlyArray<string> = [
  "running shoes",
  "espresso",
  "café crème",
  "ヘッドホン",
  "耳机",
  "כוס קפה",
  "gift 🎁 ideas",
  '4k monitor 27"',
  "yoga",
  "backpack\twaterproof",
  "naïve résumé",
  "",
]

export const pages: ReadonlyArray<readonly [string, string]> = [
  ["/", "Home"],
  ["/pricing", "Pricing"],
  ["/products", "Products"],
  ["/products/sku-1004", "Trail Running Shoes 👟"],
  ["/blog/launch-week", "Launch week 🚀"],
  ["/ja/about", "会社概要"],
  ["/he/help", "עזרה"],
  ["/docs/getting-started", "Getting started"],
  ["/cart", "Cart"],
  ["/account/settings", "Settings"],
]

export const referrers: ReadonlyArray<string> = [
  "$direct",
  "https://www.google.com/",
  "https://duckduckgo.com/",
  "https://news.ycombinator.com/",
  "https://t.co/",
  "https://www.bing.com/",
]

export const utmSources: ReadonlyArray<string | null> = [
  null,
  null,
  "newsletter",
  "google",
  "twitter",
  "partner",
]

export const plans: ReadonlyArray<readonly [string, number]> = [
  ["free", 60],
  ["pro", 30],
  ["enterprise", 10],
]

export const industries: ReadonlyArray<string> = [
  "Software",
  "Retail",
  "Finance",
  "Health",
  "Education",
  "Média & Presse",
]

export const companyNames: ReadonlyArray<string> = [
  "Acme Corp",
  "Globex",
  "Initech",
  "Umbrella",
  "Hooli",
  "株式会社サンプル",
  "Société Générale d'Exemple",
  "Stark Industries",
  "Wayne Enterprises",
  "Tyrell",
]
