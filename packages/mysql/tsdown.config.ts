import { packageBuild } from "../../tooling/tsdown.shared.ts"

export default packageBuild(["src/index.ts", "src/dialect.ts"])
