/**
 * The seed document 《关于开展城市基层党建全域提升行动的工作方案》 encoded as plan data.
 *
 * Texts are copied from the document as written: it uses half-width `,` `;` `(` `)` and
 * curly quotes “ ”, and those are kept. Dates are relative to the document's first year
 * (2021 = yearOffset 0).
 */
import type { PlanInput } from './schema.js';

export const builtInPlan: PlanInput = {
  title: '关于开展城市基层党建全域提升行动的工作方案',
  documentFirstYear: 2021,
  defaultStreetName: 'XX街道',

  // 附件2 城市基层党建全域提升建设要求. Each `(N分)` clause of 参考内容 is one sub-item, in order.
  // Indicators 14, 19 and 24 have no breakdown: one sub-item carrying the whole cell.
  // Indicator 16's 赋分 cell reads 「当前隐藏内容免费查看20分」 (a web artefact): 20 points.
  levels: [
    {
      level: 'street',
      title: '街道层面',
      maxPoints: 100,
      indicators: [
        {
          number: 1,
          title: '发挥党委龙头作用',
          points: 20,
          subItems: [
            { code: '1.1', points: 10, text: '对辖区内各类组织各项事务的领导有力有效' },
            { code: '1.2', points: 10, text: '持续深化“大工委”机制作用发挥,经常性研究协调区域党建难题' },
          ],
        },
        {
          number: 2,
          title: '规范城市党建综合体建设',
          points: 20,
          subItems: [
            { code: '2.1', points: 5, text: '整合提升“红色驿站”等城市基层党建阵地' },
            { code: '2.2', points: 15, text: '按照“八个有”推进街道党群服务中心规范化建设,具有较高人气和活力' },
          ],
        },
        {
          number: 3,
          title: '提升社区减负增能实效',
          points: 15,
          subItems: [
            { code: '3.1', points: 10, text: '加大街道、社区对职能部门的评价权重' },
            { code: '3.2', points: 5, text: '推动落实社区事务准入制度,整治牌子多、检查考核评比多等问题' },
          ],
        },
        {
          number: 4,
          title: '抓实社区专职工作者队伍建设',
          points: 25,
          subItems: [
            { code: '4.1', points: 10, text: '每个社区按照有关配备要求,配备不少于6名专职社区工作者' },
            { code: '4.2', points: 10, text: '全面推行专职社区工作者“全岗通”,建立“三岗十八级”岗位等级绩效薪酬制度' },
            { code: '4.3', points: 5, text: '推进优秀社区党组织书记依法依章选拔进入街道领导班子' },
          ],
        },
        {
          number: 5,
          title: '推进“一街一品”党建品牌建设',
          points: 20,
          subItems: [
            { code: '5.1', points: 10, text: '推进街道社区党建与单位党建、行业党建、区域化党建互联互动,统筹抓好辖区内新领域新业态新群体党建工作' },
            { code: '5.2', points: 10, text: '打造有特色有影响力的街道城市基层党建品牌' },
          ],
        },
      ],
    },
    {
      level: 'community',
      title: '社区层面',
      maxPoints: 100,
      indicators: [
        {
          number: 6,
          title: '深化社区“大党委”工作制度',
          points: 20,
          subItems: [
            { code: '6.1', points: 10, text: '整合成员单位各自的资源和需求,每年年初列出党建项目清单' },
            { code: '6.2', points: 10, text: '建立“事务共议、资源共享、实事共办、社区共治”工作机制,每季度召开一次会议' },
          ],
        },
        {
          number: 7,
          title: '规范党组织体系建设',
          points: 20,
          subItems: [
            { code: '7.1', points: 10, text: '建立“社区党组织—网格党支部—楼栋党小组”一贯到底的组织体系' },
            { code: '7.2', points: 10, text: '正常开展党组织活动,红船云智慧党建系统使用规范' },
          ],
        },
        {
          number: 8,
          title: '推进“三微”治理机制落实落地',
          points: 20,
          subItems: [
            { code: '8.1', points: 10, text: '完善“微网格”、健全“微嘉园”、深化“微治理”,打造有特色的社区治理工作' },
            { code: '8.2', points: 10, text: '推行落实城市社区议事工作制度(党组织提议、党群联议、“两委”商议、党员大会审议、居民代表会议决议)' },
          ],
        },
        {
          number: 9,
          title: '完善推进“三社联动”',
          points: 15,
          subItems: [
            { code: '9.1', points: 5, text: '结合社区实际,链接社会资源、引育社会组织,通过购买服务方式,开展居家养老、医疗卫生等订单式服务' },
            { code: '9.2', points: 10, text: '指导推进“红色物业”建设和覆盖' },
          ],
        },
        {
          number: 10,
          title: '配合完成“一编三定”工作',
          points: 25,
          subItems: [
            { code: '10.1', points: 5, text: '科学设定“6+X”服务岗位' },
            { code: '10.2', points: 10, text: '每个季度梳理社区需求清单,提供相应团组' },
            { code: '10.3', points: 10, text: '每年向报到党员干部所在单位党组织反馈情况并作出客观评价' },
          ],
        },
      ],
    },
    {
      level: 'compound',
      title: '小区层面',
      maxPoints: 100,
      indicators: [
        {
          number: 11,
          title: '组织建设好',
          points: 20,
          subItems: [
            { code: '11.1', points: 10, text: '有条件的城市小区可吸纳物业服务企业、业委会、入驻社会组织和居民业主党员代表成立睦邻家园小区党支部,组建“红色物业”“红色业委会”' },
            { code: '11.2', points: 10, text: '整合小区广场、楼道、物业用房等资源,打造“小区党建客厅”等一批睦邻党建工作阵地' },
          ],
        },
        {
          number: 12,
          title: '治理机制好',
          points: 20,
          subItems: [
            { code: '12.1', points: 10, text: '由社区“两委”人员、业委会、物业服务企业和业主党员代表组成睦邻“四方议事会”' },
            { code: '12.2', points: 10, text: '探索推行“一议三公开”恳谈机制(“四方议事会”对居民关切的小区事务进行民主商议、决策,确保决议内容公开、决议实施过程公开、决议实施评价结果公开)' },
          ],
        },
        {
          number: 13,
          title: '服务管理好',
          points: 20,
          subItems: [
            { code: '13.1', points: 5, text: '深化在职党员“一编三定”工作' },
            { code: '13.2', points: 5, text: '组织物业管家、党员志愿者、社会组织等力量,常态化开展睦邻小区服务' },
            { code: '13.3', points: 10, text: '建好用好“微嘉园”移动服务平台' },
          ],
        },
        {
          number: 14,
          title: '小区品质好',
          points: 20,
          subItems: [
            { code: '14.1', points: 20, text: '以“美好家园”为创建目标,打造环境宜人、秩序井然、设施齐全、功能多样的品质住宅小区' },
          ],
        },
        {
          number: 15,
          title: '邻里关系好',
          points: 20,
          subItems: [
            { code: '15.1', points: 10, text: '倡导“无讼小区”建设,用好小区“老娘舅”队伍,将居民纠纷化解在萌芽状态,无因邻里纠纷引发的案件' },
            { code: '15.2', points: 10, text: '定期举办小区睦邻节活动,让更多小区居民走出家门融入家园' },
          ],
        },
      ],
    },
    {
      level: 'building',
      title: '商务楼宇层面',
      maxPoints: 100,
      indicators: [
        {
          number: 16,
          title: '构建“红色体系”',
          points: 20,
          subItems: [
            { code: '16.1', points: 15, text: '加强楼宇党的组织和工作覆盖,全面摸清楼宇内党组织和党员底数,推进楼宇内两新组织党组织应建尽建' },
            { code: '16.2', points: 5, text: '未建党组织的楼宇明确党建指导员,实现党的工作有效覆盖' },
          ],
        },
        {
          number: 17,
          title: '培育“红色队伍”',
          points: 20,
          subItems: [
            { code: '17.1', points: 10, text: '选优配强楼宇党组织书记,加强楼宇党组织党务工作者培训' },
            { code: '17.2', points: 10, text: '注重在楼宇高知识群体、优秀青年白领中发展党员' },
          ],
        },
        {
          number: 18,
          title: '建设“红色阵地”',
          points: 20,
          subItems: [
            { code: '18.1', points: 10, text: '在有条件的楼宇集聚区建设区域性、开放性、综合性的党群服务中心' },
            { code: '18.2', points: 10, text: '推进楼宇党群驿站标准化建设,将规模较大的站点服务资源向周边楼宇开放,实现楼宇党群活动阵地的资源联动、功能优化' },
          ],
        },
        {
          number: 19,
          title: '开展“红色物业”',
          points: 20,
          subItems: [
            { code: '19.1', points: 20, text: '推行楼宇物业标准化建设,建立党组织、楼宇业委会、物业公司共同参与的楼宇物业议事协商机制,实现一般问题不出楼宇' },
          ],
        },
        {
          number: 20,
          title: '提升“红色服务”',
          points: 20,
          subItems: [
            { code: '20.1', points: 10, text: '成立楼宇经济服务联盟,为楼宇经济持续健康高效发展提供针对性服务' },
            { code: '20.2', points: 5, text: '开展“红色代办”服务,实现楼宇综合服务“一站式”办理' },
            { code: '20.3', points: 5, text: '丰富楼宇活动载体,为楼宇内企业职工提供形式多样的文化和休闲活动' },
          ],
        },
      ],
    },
    {
      level: 'district',
      title: '商圈层面',
      maxPoints: 100,
      indicators: [
        {
          number: 21,
          title: '组织融合共建红色联盟圈',
          points: 20,
          subItems: [
            { code: '21.1', points: 5, text: '建立以商圈主体运营方、商铺、物业以及属地社区等多方共同参与的商圈红色联盟,健全联动协同机制、联系沟通机制、联建共建机制' },
            { code: '21.2', points: 10, text: '以单独组建、区域联建、行业统建等模式深化“一商圈一党组织”建设,推动党的组织应建尽建' },
            { code: '21.3', points: 5, text: '选派商圈党建指导员,加强流动党员教育管理' },
          ],
        },
        {
          number: 22,
          title: '资源融合共建品质服务圈',
          points: 25,
          subItems: [
            { code: '22.1', points: 10, text: '合理布局商圈党群服务站点,摸清商圈资源清单,定制商圈服务菜单,提供审批服务、助企融资、红色代办等全方位服务' },
            { code: '22.2', points: 5, text: '定期开展品质服务承诺签订、星级商铺评选等活动' },
            { code: '22.3', points: 10, text: '争创“党员先锋岗”“党员示范岗”“党员诚信岗”,主动亮形象、亮承诺' },
          ],
        },
        {
          number: 23,
          title: '网格融合共建同心自治圈',
          points: 20,
          subItems: [
            { code: '23.1', points: 10, text: '深化“网格连企、暖心扶企”工作,细化完善商圈“微网格”,选优配强商圈专属“微网格长”' },
            { code: '23.2', points: 10, text: '组建商圈“微网格”议事平台,强化商圈自治管理' },
          ],
        },
        {
          number: 24,
          title: '人才融合共建互助成长圈',
          points: 15,
          subItems: [
            { code: '24.1', points: 15, text: '强化商圈人才招引力度,建立商圈业态、商户、人才信息数据库,针对性开展职业技能、电商创业等培训,孵化培育优质商户,形成互助成长良好氛围' },
          ],
        },
        {
          number: 25,
          title: '活动融合共建乐活公益圈',
          points: 20,
          subItems: [
            { code: '25.1', points: 10, text: '开展“南湖初心讲堂”进商圈等活动,提高经营户思想认识' },
            { code: '25.2', points: 10, text: '组建以党员带领、全员参与的商圈志愿服务队,开展圈内活动轮值,引导企业、商户主动承接社会公益项目,定期开展公益活动,强化商圈社会责任意识' },
          ],
        },
      ],
    },
    {
      level: 'social_org',
      title: '社会组织层面',
      maxPoints: 100,
      indicators: [
        {
          number: 26,
          title: '基层工作“智囊团”作用发挥明显',
          points: 30,
          subItems: [
            { code: '26.1', points: 10, text: '落实社会组织“三培养”制度,培育社会组织领军人才队伍' },
            { code: '26.2', points: 10, text: '积极参与“三社联动”,推动公共服务和基层社会治理创新' },
            { code: '26.3', points: 10, text: '开展党建工作品牌化建设,辐射带动其他社会组织共同提升' },
          ],
        },
        {
          number: 27,
          title: '深化改革“助推器”作用发挥明显',
          points: 40,
          subItems: [
            { code: '27.1', points: 10, text: '发挥党组织政治核心作用,推动社会组织健康发展有力有效' },
            { code: '27.2', points: 10, text: '党建与业务发展融合度高,与社会组织执业活动、日常管理、文化建设等相互促进' },
            { code: '27.3', points: 10, text: '设立党员先锋岗、党员责任区等,员工凝聚力强,党员作用发挥好' },
            { code: '27.4', points: 10, text: '承接政府转移职能,实施的项目具有一定影响力和社会效应' },
          ],
        },
        {
          number: 28,
          title: '社会和谐“粘合剂”作用发挥明显',
          points: 30,
          subItems: [
            { code: '28.1', points: 10, text: '积极参与公共事务管理,依据社区居民不同需求提供个性化、专业化服务' },
            { code: '28.2', points: 10, text: '主动与社区和其他领域党组织结对共建,开展志愿服务,履行社会责任,群众评价好' },
            { code: '28.3', points: 10, text: '有条件的社会组织可打造党群服务中心、党群驿站等阵地' },
          ],
        },
      ],
    },
  ],

  // 三、建设要求.
  gradeRules: {
    standardThreshold: 75,
    demonstrationThreshold: 90,
    vetoBlocksDemonstration: true,
    levels: [
      {
        level: 'street',
        standard: [
          {
            kind: 'all',
            of: ['community', 'compound', 'building', 'district'],
            grade: 'standard',
            text: '所辖社区、小区、楼宇和商圈全部完成标准型建设',
          },
          // 「有一定量」: at least one; a street without social organisations does not meet it.
          { kind: 'count', of: ['social_org'], grade: 'standard', min: 1, text: '有一定量的标准型社会组织' },
        ],
        demonstration: [
          {
            kind: 'ratio',
            of: ['community', 'compound', 'building', 'district'],
            grade: 'demonstration',
            ratio: { numerator: 3, denominator: 10 },
            text: '所辖社区、小区、楼宇和商圈完成示范型建设不少于30%',
          },
          { kind: 'count', of: ['social_org'], grade: 'demonstration', min: 1, text: '有一定量的示范型社会组织' },
        ],
        qualitative: [],
      },
      {
        level: 'community',
        // 社会组织融入社区建设 is measured by sub-item 9.1 (「三社联动」: 链接社会资源、引育社会组织,
        // 通过购买服务方式开展订单式服务), the one community sub-item about social organisations.
        // 有效融入 / 充分融入 take the plan's own bars for 标准型 / 示范型 (75 % / 90 % of the maximum).
        standard: [
          { kind: 'all', of: ['compound'], grade: 'standard', text: '所辖小区全部完成标准型建设' },
          { kind: 'subItems', codes: ['9.1'], ratio: { numerator: 3, denominator: 4 }, text: '社会组织有效融入社区建设' },
        ],
        demonstration: [
          {
            kind: 'ratio',
            of: ['compound'],
            grade: 'demonstration',
            ratio: { numerator: 3, denominator: 10 },
            text: '所辖小区完成示范型建设不少于30%',
          },
          { kind: 'subItems', codes: ['9.1'], ratio: { numerator: 9, denominator: 10 }, text: '社会组织充分融入社区建设' },
        ],
        qualitative: [],
      },
      { level: 'compound', standard: [], demonstration: [], qualitative: [] },
      { level: 'building', standard: [], demonstration: [], qualitative: [] },
      { level: 'district', standard: [], demonstration: [], qualitative: [] },
      { level: 'social_org', standard: [], demonstration: [], qualitative: [] },
    ],
  },

  // 二、行动目标. `cumulative` is set where the document writes 「累计」. Ids are relative to the
  // programme (y1 = the document's 2021) so that no document year is printed.
  milestones: [
    {
      id: 'y1-02',
      due: { yearOffset: 0, month: 2 },
      text: '到2021年2月,街道制定工作方案,建立城市基层党建工作专班运作机制、项目领办机制、示范带动机制,示范型街道、社区、小区、楼宇、商圈和社会组织建设全面启动,党群服务中心、“红色驿站”、“党群家园”等城市党建阵地提档升级建设全面启动。',
      requirements: [],
      otherTargets: [
        '街道制定工作方案',
        '建立城市基层党建工作专班运作机制、项目领办机制、示范带动机制',
        '示范型街道、社区、小区、楼宇、商圈和社会组织建设全面启动',
        '党群服务中心、“红色驿站”、“党群家园”等城市党建阵地提档升级建设全面启动',
      ],
    },
    {
      id: 'y1-06',
      due: { yearOffset: 0, month: 6 },
      text: '到2021年6月底,全面建成城市基层党建标准型街道,形成“一街一品”,力争创建示范型街道;标准型社区、小区达100%,其中示范型社区6个、示范型小区33个;建成示范型楼宇、商圈2个,示范型社会组织1个;建成示范型党群服务中心2个,示范型“红色驿站”3个,“红色驿站”“党群家园”改造提升工程全面完成,党建阵地品牌示范效应显现。',
      requirements: [
        { levels: ['street'], grade: 'standard', count: 1, cumulative: false, stretch: false, text: '全面建成城市基层党建标准型街道' },
        { levels: ['street'], grade: 'demonstration', count: 1, cumulative: false, stretch: true, text: '力争创建示范型街道' },
        { levels: ['community'], grade: 'standard', count: 'all', cumulative: false, stretch: false, text: '标准型社区达100%' },
        { levels: ['compound'], grade: 'standard', count: 'all', cumulative: false, stretch: false, text: '标准型小区达100%' },
        { levels: ['community'], grade: 'demonstration', count: 6, cumulative: false, stretch: false, text: '示范型社区6个' },
        { levels: ['compound'], grade: 'demonstration', count: 33, cumulative: false, stretch: false, text: '示范型小区33个' },
        {
          levels: ['building', 'district'],
          grade: 'demonstration',
          count: 2,
          cumulative: false,
          stretch: false,
          text: '建成示范型楼宇、商圈2个',
        },
        { levels: ['social_org'], grade: 'demonstration', count: 1, cumulative: false, stretch: false, text: '示范型社会组织1个' },
      ],
      otherTargets: [
        '形成“一街一品”',
        '建成示范型党群服务中心2个',
        '示范型“红色驿站”3个',
        '“红色驿站”“党群家园”改造提升工程全面完成',
        '党建阵地品牌示范效应显现',
      ],
    },
    {
      id: 'y2-12',
      due: { yearOffset: 1, month: 12 },
      text: '到2022年12月,累计建成示范型社区11个、示范型小区60个;累计建成示范型楼宇、商圈各2个,示范型社会组织2个。',
      requirements: [
        { levels: ['community'], grade: 'demonstration', count: 11, cumulative: true, stretch: false, text: '累计建成示范型社区11个' },
        { levels: ['compound'], grade: 'demonstration', count: 60, cumulative: true, stretch: false, text: '累计建成示范型小区60个' },
        { levels: ['building'], grade: 'demonstration', count: 2, cumulative: true, stretch: false, text: '累计建成示范型楼宇2个' },
        { levels: ['district'], grade: 'demonstration', count: 2, cumulative: true, stretch: false, text: '累计建成示范型商圈2个' },
        { levels: ['social_org'], grade: 'demonstration', count: 2, cumulative: true, stretch: false, text: '累计建成示范型社会组织2个' },
      ],
      otherTargets: [],
    },
    {
      id: 'y3-12',
      due: { yearOffset: 2, month: 12 },
      text: '到2023年12月,全面建成城市基层党建示范型街道;示范型社区、小区达100%;累计建成示范型社会组织3个;党群服务中心、“红色驿站”、“党群家园”、楼宇商圈客厅实现应建尽建。',
      requirements: [
        { levels: ['street'], grade: 'demonstration', count: 1, cumulative: false, stretch: false, text: '全面建成城市基层党建示范型街道' },
        { levels: ['community'], grade: 'demonstration', count: 'all', cumulative: false, stretch: false, text: '示范型社区达100%' },
        { levels: ['compound'], grade: 'demonstration', count: 'all', cumulative: false, stretch: false, text: '示范型小区达100%' },
        { levels: ['social_org'], grade: 'demonstration', count: 3, cumulative: true, stretch: false, text: '累计建成示范型社会组织3个' },
      ],
      otherTargets: ['党群服务中心、“红色驿站”、“党群家园”、楼宇商圈客厅实现应建尽建'],
    },
  ],

  // 四、实施步骤. End months are inclusive.
  phases: [
    {
      id: 'planning',
      name: '规划部署阶段',
      start: { yearOffset: -1, month: 10 },
      end: { yearOffset: 0, month: 2 },
      summary: '开展查找短板行动,对照建设要求逐条逐项研究分析,建立“自查清单”。制定工作方案,排定年度重点任务清单,开展竞争性创建申报活动,各社区在2月底前上报创建目标计划、示范点建设规划清单(附件4)。',
    },
    {
      id: 'pilot',
      name: '示范推进阶段',
      start: { yearOffset: 0, month: 2 },
      end: { yearOffset: 0, month: 6 },
      summary: '以竞争性方式,对照标准型、示范型建设标准,分别确定若干个点进行示范推进,重点培育党建特色工作,先行建成可学、可看、可借鉴的样板,同时,按照“一街一品”基层党建示范建设要求,对所有基层党组织进行着力推进。2021年6月,街道进行阶段性预验收。',
    },
    {
      id: 'rollout',
      name: '全面推进阶段',
      start: { yearOffset: 0, month: 7 },
      end: { yearOffset: 2, month: 6 },
      summary: '总结示范推进工作经验,着力抓好基层党建品牌和党建阵地建设。通过月度专题推进、季度现场推进、年度验收推进等,确保每年建成一批示范型社区、小区、楼宇、商圈和社会组织,街道层面打造基层党建工作示范群。',
    },
    {
      id: 'acceptance',
      name: '全面验收阶段',
      start: { yearOffset: 2, month: 7 },
      end: { yearOffset: 2, month: 12 },
      summary: '工作实行“一年一验收”,街道党委结合平时督查情况,每年对基层党建全域提升工作进行自查自验。从2023年7月起,对三年行动计划完成情况进行集中自查、全面评估,并择优推选一批示范型社区、小区、楼宇、商圈和社会组织接受市县级验收评估。',
    },
    {
      id: 'sustain',
      name: '长效提升阶段',
      start: { yearOffset: 3, month: 1 },
      end: null,
      summary: '总结城市基层党建全域提升工作,对城市基层党建全域提升工作实行动态管理,每年对项目指标落实情况进行复评并通报结果,对达到建设要求的,抓好晋位提升;对未能长效保持的,责令整改提升。',
    },
  ],

  // 五 长效提升阶段 has no end: the programme tracks this many years of it.
  longTermYears: 2,

  // 附件3 重点任务清单.
  actionCategories: [
    '基层党建品牌创建行动',
    '两新组织提质增效行动',
    '红色物业深化基层治理行动',
    '“红色磁场”志愿服务行动',
    '社会组织赋能培育行动',
  ],
  leadUnits: ['党建办(组织)', '社管中心', '社会治理办', '环卫中心', '城发办'],

  // `cadence` for 贯穿全年 items is read from the item's wording: 每月 → monthly, 每月两次 →
  // twice_monthly, 每季度 → quarterly, 每两月1期 → bimonthly, 年度内…1场 and 全年6次 (a count
  // for the year, not a rhythm) → yearly; 「定期」 and a duty without frequency → periodic (the
  // office sets the frequency; monthly check-in until then); a deliverable (制定手册) → yearly
  // (one deadline, the year's end). Task 7 stays monthly: 组织生活 runs monthly (主题党日).
  // `recurrence`: first_year_only for 首批, named sites and 改造提升工程 of year one and for the
  // pilot selection of 示范推进阶段; every_year for standing duties (四(四) 一年一验收).
  // See docs/plan-readings.md.
  tasks: [
    {
      seq: 1,
      category: '基层党建品牌创建行动',
      content: '对照《城市基层党建全域提升建设要求》开展自查',
      deadlineText: '2月底',
      leadUnits: ['党建办(组织)', '社管中心'],
      cadence: null,
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 2,
      category: '基层党建品牌创建行动',
      content: '各社区、小区、商圈、楼宇、社会组织等自主申报',
      deadlineText: '2月底',
      leadUnits: ['党建办(组织)', '社管中心'],
      cadence: null,
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 3,
      category: '基层党建品牌创建行动',
      content: '深化“大党委”制度,社区每年初建立需求清单、资源清单、党建项目清单,项目运行有成效',
      deadlineText: '3月',
      leadUnits: ['社管中心', '党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 4,
      category: '基层党建品牌创建行动',
      content: '举办亮晒比选活动,街道择优确定若干个点,组建专班予以重点扶持、先行打造',
      deadlineText: '3月初',
      leadUnits: ['党建办(组织)', '社管中心'],
      cadence: null,
      target: null,
      recurrence: 'first_year_only',
    },
    {
      seq: 5,
      category: '基层党建品牌创建行动',
      content: '组织开展创意主题党日',
      deadlineText: '5月底',
      leadUnits: ['党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 6,
      category: '基层党建品牌创建行动',
      content: '完成打造首批示范型社区、小区、商圈、楼宇、社会组织',
      deadlineText: '6月底',
      leadUnits: ['党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'first_year_only',
    },
    {
      seq: 7,
      category: '基层党建品牌创建行动',
      content: '规范开展组织生活,《基层党组织工作手册》记录及时规范;红船云智慧党建系统活跃度不低于100%',
      deadlineText: '贯穿全年',
      leadUnits: ['党建办(组织)'],
      cadence: 'monthly',
      target: {
        text: '红船云智慧党建系统活跃度不低于100%',
        metrics: [{ key: 'activity', label: '红船云智慧党建系统活跃度', min: 100, unit: '%' }],
      },
      recurrence: 'every_year',
    },
    {
      seq: 8,
      category: '基层党建品牌创建行动',
      content: '依托“微嘉园”,每月开展“嘉园卡”积分兑换活动,至少有1-2条特色服务兑换项目',
      deadlineText: '贯穿全年',
      leadUnits: ['社会治理办'],
      cadence: 'monthly',
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 9,
      category: '基层党建品牌创建行动',
      content: '每季度“一编三定”各团组开展活动',
      deadlineText: '贯穿全年',
      leadUnits: ['党建办(组织)'],
      cadence: 'quarterly',
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 10,
      category: '两新组织提质增效行动',
      content: '结合年轻干部培养,抓实两新组织党建指导员队伍建设,确保“一企一员”全覆盖',
      deadlineText: '3月',
      leadUnits: ['党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 11,
      category: '两新组织提质增效行动',
      content: '深化“双覆盖攻坚”,完成年度县下达的新建党组织指标任务',
      deadlineText: '6月前',
      leadUnits: ['党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 12,
      category: '两新组织提质增效行动',
      content: '深化“三先”及“车间政委”建设,提升1个示范点,新建1个示范点,形成1个党建品牌',
      deadlineText: '6月',
      leadUnits: ['党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 13,
      category: '两新组织提质增效行动',
      content: '完成绮园景区区域化党建品牌建设',
      deadlineText: '6月底',
      leadUnits: ['党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'first_year_only',
    },
    {
      seq: 14,
      category: '两新组织提质增效行动',
      content: '吾悦广场党建示范点建设',
      deadlineText: '6月底',
      leadUnits: ['党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'first_year_only',
    },
    {
      seq: 15,
      category: '红色物业深化基层治理行动',
      content: '小区支部应建尽建;“党群家园”改造提升工程全面完成,各社区至少打造1个示范型党群家园,工作开展有特色、显成效',
      deadlineText: '5月底',
      leadUnits: ['党建办(组织)'],
      cadence: null,
      target: null,
      recurrence: 'first_year_only',
    },
    {
      seq: 16,
      category: '红色物业深化基层治理行动',
      content: '健全完善社区党组织领导下的“红色物业”党建联动议事服务机制,定期开展小区管理中各类民生事项的意见征求、研究分析、协商会办、成效评估等工作',
      deadlineText: '贯穿全年',
      leadUnits: ['社管中心'],
      cadence: 'periodic',
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 17,
      category: '红色物业深化基层治理行动',
      content: '结合各小区、楼道实际,设置“微家服务岗”等提供专业化精准化服务',
      deadlineText: '贯穿全年',
      leadUnits: ['社管中心'],
      cadence: 'periodic',
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 18,
      category: '红色物业深化基层治理行动',
      content: '定期联合业委会开展形式多样的小区睦邻活动',
      deadlineText: '贯穿全年',
      leadUnits: ['社管中心'],
      cadence: 'periodic',
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 19,
      category: '“红色磁场”志愿服务行动',
      content: '“红色驿站”改造提升工程全面完成,每个社区至少打造1个可看的点',
      deadlineText: '5月',
      leadUnits: ['党建办(组织)', '环卫中心'],
      cadence: null,
      target: null,
      recurrence: 'first_year_only',
    },
    {
      seq: 20,
      category: '“红色磁场”志愿服务行动',
      content: '结合“厕所革命”扩展功能,打造“城市驿站”',
      deadlineText: '6月',
      leadUnits: ['城发办', '环卫中心'],
      cadence: null,
      target: null,
      recurrence: 'first_year_only',
    },
    {
      seq: 21,
      category: '“红色磁场”志愿服务行动',
      content: '做实“两新共携手”、“三服务流动站”,建立覆盖各领域微网格、每月两次开展的“志愿同行365”轮值机制',
      deadlineText: '贯穿全年',
      leadUnits: ['党建办(组织)'],
      cadence: 'twice_monthly',
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 22,
      category: '社会组织赋能培育行动',
      content: '制定社工站社会组织入驻及管理手册,发挥好枢纽型社会组织功能',
      deadlineText: '贯穿全年',
      leadUnits: ['社管中心'],
      cadence: 'yearly',
      target: null,
      recurrence: 'every_year',
      laterYears: { content: '发挥好枢纽型社会组织功能', deadlineText: '贯穿全年', cadence: 'periodic' },
    },
    {
      seq: 23,
      category: '社会组织赋能培育行动',
      content: '以全年为周期,每两月1期开展社区社会组织社工系统化、全领域、赋能增智成长活动',
      deadlineText: '贯穿全年',
      leadUnits: ['社管中心'],
      cadence: 'bimonthly',
      target: null,
      recurrence: 'every_year',
    },
    {
      seq: 24,
      category: '社会组织赋能培育行动',
      content: '开展睦邻客厅专题培训,工作坊,经验交流会等全年6次,助力睦邻客厅全面提升',
      deadlineText: '贯穿全年',
      leadUnits: ['社管中心'],
      cadence: 'yearly',
      target: {
        text: '专题培训、工作坊、经验交流会等全年6次',
        metrics: [{ key: 'sessions', label: '专题培训、工作坊、经验交流会次数', min: 6, unit: '次' }],
      },
      recurrence: 'every_year',
    },
    {
      seq: 25,
      category: '社会组织赋能培育行动',
      content: '年度内策划实施1场社区公益项目创投,筛选至少6个项目参与县级公益创投大赛,实现不少于2个优秀项目',
      deadlineText: '贯穿全年',
      leadUnits: ['社管中心'],
      cadence: 'yearly',
      target: {
        text: '筛选至少6个项目参与县级公益创投大赛,实现不少于2个优秀项目',
        metrics: [
          { key: 'entered', label: '参加县级创投项目数', min: 6, unit: '个' },
          { key: 'excellent', label: '优秀项目数', min: 2, unit: '个' },
        ],
      },
      recurrence: 'every_year',
    },
  ],


  // 附件1 领导小组名单 (names run together in the source, split here).
  leadership: {
    leaders: ['张建虹', '朱玮'],
    deputies: ['刘子龙', '孙勤华', '郭凤雨', '张海锋'],
    members: [
      '卫忠',
      '王博文',
      '顾爱萍',
      '张晓滢',
      '沈柯亮',
      '黄建国',
      '姜利明',
      '朱晓展',
      '潘洪',
      '陈秀明',
      '姜金凤',
      '王群会',
      '冯跃华',
      '朱玉文',
      '王李华',
      '朱晓峰',
      '穆云飞',
      '许玲燕',
      '奚能',
    ],
    officeDirector: '王博文',
    officeDeputy: '朱玉文',
    note: '领导小组下设办公室,王博文同志兼任办公室主任,朱玉文同志兼任办公室副主任,各办公室(中心)为成员单位。',
  },

  // 附件4 申报表. `section` is the form's left-hand group heading, or the field's own row label.
  applicationForm: {
    title: '2021年XX街道城市基层党建全域提升申报表(社区)',
    fields: [
      { key: 'communityName', label: '社区名称', section: '社区概况' },
      { key: 'registeredHouseholds', label: '户籍户数', section: '社区概况' },
      { key: 'registeredPopulation', label: '户籍人数', section: '社区概况' },
      { key: 'residentHouseholds', label: '常住户数', section: '社区概况' },
      { key: 'residentPopulation', label: '常住人数', section: '社区概况' },
      { key: 'compoundCount', label: '小区数', section: '社区概况' },
      { key: 'compoundNames', label: '所辖各小区名称', section: '社区概况' },
      { key: 'creationType', label: '2021年社区创建类型(示范型/标准型)', section: '2021年社区创建类型' },
      { key: 'plannedDemoCompoundCount', label: '拟创建示范型小区个数', section: '2021年拟创建示范型小区' },
      { key: 'plannedDemoCompoundNames', label: '拟创建示范型小区名称', section: '2021年拟创建示范型小区' },
      { key: 'socialOrgCount', label: '社会组织数', section: '社会组织数' },
      { key: 'measures', label: '创建措施', section: '创建措施' },
      { key: 'brandProjectName', label: '项目名称', section: '特色品牌项目' },
      { key: 'brandProjectGoal', label: '创建目标', section: '特色品牌项目' },
      { key: 'brandProjectContent', label: '项目内容及任务节点', section: '特色品牌项目' },
      { key: 'streetOpinion', label: '街道意见', section: '街道意见' },
    ],
  },
};
